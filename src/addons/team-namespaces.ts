import type { Construct } from 'constructs';
import { group } from './_cdk8s.js';
import { z } from 'zod';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import type { AddonDefinition } from './addon.js';
import { addObject, type RbacSubject } from './_kinds.js';
import {
  describe,
  dns1123Label,
  duplicates,
  list,
  nonEmptyString,
  quantity,
  quantityValue,
  strictObject,
} from './_schema.js';

/** Catalog name of this add-on. */
export const TEAM_NAMESPACES = 'team-namespaces';

/** Label on each team namespace naming the team that owns it. */
export const TEAM_LABEL = 'clusterops.io/team';

/** Container requests the LimitRange fills in when a quota limits cpu or memory and the team sets none. */
export const DEFAULT_CONTAINER_REQUEST = { cpu: '100m', memory: '128Mi' } as const;

/** Namespaces no team may own: Kubernetes' own, and `default`, which every cluster already has. */
function reservedNamespace(name: string): string | undefined {
  if (name === 'default') return 'namespace "default" belongs to the cluster, not to a team';
  if (name.startsWith('kube-')) return `namespace ${JSON.stringify(name)} is reserved: names starting with "kube-" belong to Kubernetes`;
  return undefined;
}

const SUBJECT_HINT = 'a group name, {group: NAME} or {user: NAME}';

/** An RBAC subject: a plain string is a group; `{user: ...}` names a user. */
const subjectSchema = z.union(
  [
    nonEmptyString(SUBJECT_HINT).transform((group) => ({ group })),
    strictObject({ group: nonEmptyString() }, SUBJECT_HINT),
    strictObject({ user: nonEmptyString() }, SUBJECT_HINT),
  ],
  { error: (i) => `must be ${SUBJECT_HINT}, got ${describe(i.input)}` },
);

/** A quota member: a non-negative whole number of pods. */
const podsSchema = z
  .number({ error: (i) => (i.input === undefined ? 'is required' : `must be a whole number of pods, got ${describe(i.input)}`) })
  .int({ error: (i) => `must be a whole number of pods, got ${describe(i.input)}` })
  .min(0, { error: 'must be 0 or more' });

const quotaSchema = strictObject({
  cpu: quantity('cpu').optional(),
  memory: quantity('memory').optional(),
  pods: podsSchema.optional(),
  defaultRequest: strictObject({ cpu: quantity('cpu').optional(), memory: quantity('memory').optional() }).optional(),
}).superRefine((quota, ctx) => {
  if (quota.cpu === undefined && quota.memory === undefined && quota.pods === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set at least one of cpu, memory, pods (or remove quota)' });
  }
  for (const resource of ['cpu', 'memory'] as const) {
    const hard = quota[resource];
    if (hard === undefined) continue;
    const declared = quota.defaultRequest?.[resource];
    const request = declared ?? DEFAULT_CONTAINER_REQUEST[resource];
    if ((quantityValue(request) ?? 0) <= (quantityValue(hard) ?? 0)) continue;
    ctx.addIssue(
      declared !== undefined
        ? {
            code: 'custom',
            path: ['defaultRequest', resource],
            message: `default container request ${request} exceeds the quota's ${resource} ${hard}`,
          }
        : {
            code: 'custom',
            path: [resource],
            message: `${hard} is below the default container request ${request}, so no pod could start; raise it or set quota.defaultRequest.${resource}`,
          },
    );
  }
});

const teamSchema = strictObject({
  name: dns1123Label(),
  namespaces: list(dns1123Label()).min(1, { error: 'list at least one namespace, or omit namespaces to use the team name' }).optional(),
  admins: list(subjectSchema).optional(),
  viewers: list(subjectSchema).optional(),
  quota: quotaSchema.optional(),
});

/** Identity of a subject, for duplicate checks. */
function subjectKey(subject: { group: string } | { user: string }): string {
  return 'group' in subject ? `group ${subject.group}` : `user ${subject.user}`;
}

/** Settings of `team-namespaces`: the teams, their namespaces, access and quota. */
export const teamNamespacesSettings = strictObject({
  teams: list(teamSchema, 'a list of teams').min(1, { error: 'list at least one team, or remove the add-on' }),
})
  .superRefine(({ teams }, ctx) => {
    duplicates(teams.map((t) => t.name), ctx, ['teams'], 'team name', ['name']);
    const owner = new Map<string, string>();
    const seen = new Set<string>();
    teams.forEach((team, t) => {
      if (seen.has(team.name)) return;
      seen.add(team.name);
      const declared = team.namespaces !== undefined;
      (team.namespaces ?? [team.name]).forEach((namespace, n) => {
        const path = declared ? ['teams', t, 'namespaces', n] : ['teams', t, 'name'];
        const reserved = reservedNamespace(namespace);
        const previous = owner.get(namespace);
        if (reserved !== undefined) {
          ctx.addIssue({ code: 'custom', path, message: declared ? reserved : `${reserved}; set namespaces for this team` });
        } else if (previous !== undefined) {
          const by = previous === team.name ? 'this team' : `team ${JSON.stringify(previous)}`;
          ctx.addIssue({ code: 'custom', path, message: `namespace ${JSON.stringify(namespace)} is already listed by ${by}` });
        } else {
          owner.set(namespace, team.name);
        }
      });
      for (const role of ['admins', 'viewers'] as const) {
        duplicates((team[role] ?? []).map(subjectKey), ctx, ['teams', t, role], 'subject');
      }
    });
  })
  .transform(({ teams }) => ({
    teams: teams.map((team) => ({
      name: team.name,
      namespaces: team.namespaces ?? [team.name],
      admins: team.admins ?? [],
      viewers: team.viewers ?? [],
      ...(team.quota && {
        quota: {
          ...team.quota,
          defaultRequest: {
            ...(team.quota.cpu !== undefined && { cpu: DEFAULT_CONTAINER_REQUEST.cpu }),
            ...(team.quota.memory !== undefined && { memory: DEFAULT_CONTAINER_REQUEST.memory }),
            ...team.quota.defaultRequest,
          },
        },
      }),
    })),
  }));

/** Validated, defaulted settings of `team-namespaces` (also a valid input: parsing is idempotent). */
export type TeamNamespacesSettings = z.output<typeof teamNamespacesSettings>;

/** Every namespace the teams own, in declaration order. */
export function teamNamespaces(settings: TeamNamespacesSettings): string[] {
  return settings.teams.flatMap((team) => team.namespaces);
}

/** The namespaces `team-namespaces` creates in `cluster`, or none when the cluster does not use it. */
export function clusterTeamNamespaces(cluster: WorkloadCluster): string[] {
  const settings = cluster.spec.addons[TEAM_NAMESPACES];
  return settings === undefined ? [] : teamNamespaces(teamNamespacesSettings.parse(settings));
}

/** ClusterRole bound for each access list. */
const ROLE_BINDINGS = [
  { role: 'admins', clusterRole: 'admin' },
  { role: 'viewers', clusterRole: 'view' },
] as const;

/** The RBAC subject of a settings entry. */
function rbacSubject(subject: { group: string } | { user: string }): RbacSubject {
  return 'group' in subject
    ? { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: subject.group }
    : { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: subject.user };
}

/** Adds each team's Namespaces, RoleBindings, ResourceQuota and LimitRange. */
function render(scope: Construct, _cluster: WorkloadCluster, settings: TeamNamespacesSettings): void {
  const root = group(scope, TEAM_NAMESPACES);
  for (const team of settings.teams) {
    for (const namespace of team.namespaces) {
      addObject(root, TEAM_NAMESPACES, 'Namespace', { metadata: { name: namespace, labels: { [TEAM_LABEL]: team.name } } });
      for (const { role, clusterRole } of ROLE_BINDINGS) {
        if (team[role].length === 0) continue;
        addObject(root, TEAM_NAMESPACES, 'RoleBinding', {
          metadata: { name: `${team.name}-${clusterRole}`, namespace, labels: { [TEAM_LABEL]: team.name } },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
          subjects: team[role].map(rbacSubject),
        });
      }
      if (team.quota === undefined) continue;
      const { cpu, memory, pods, defaultRequest } = team.quota;
      addObject(root, TEAM_NAMESPACES, 'ResourceQuota', {
        metadata: { name: `${team.name}-quota`, namespace, labels: { [TEAM_LABEL]: team.name } },
        spec: {
          hard: {
            ...(cpu !== undefined && { 'requests.cpu': cpu }),
            ...(memory !== undefined && { 'requests.memory': memory }),
            ...(pods !== undefined && { pods: String(pods) }),
          },
        },
      });
      if (Object.keys(defaultRequest).length === 0) continue;
      addObject(root, TEAM_NAMESPACES, 'LimitRange', {
        metadata: { name: `${team.name}-defaults`, namespace, labels: { [TEAM_LABEL]: team.name } },
        spec: { limits: [{ type: 'Container', defaultRequest }] },
      });
    }
  }
}

/** Team namespaces with admin/view RoleBindings, a ResourceQuota and default container requests. */
export const teamNamespacesAddon: AddonDefinition<TeamNamespacesSettings> = {
  name: TEAM_NAMESPACES,
  description: 'Namespaces per team, with admin and view RoleBindings, a ResourceQuota and default container requests.',
  settings: teamNamespacesSettings,
  render,
};
