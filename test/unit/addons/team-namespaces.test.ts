import { describe, expect, it } from 'vitest';
import { teamNamespacesAddon as addon } from '../../../src/addons/team-namespaces.js';
import { find, ids, issues, render } from './_fixtures.js';

const LABELS = { 'app.kubernetes.io/managed-by': 'clusterops', 'clusterops.io/addon': 'team-namespaces' };

describe('team-namespaces', () => {
  it('gives a team with only a name one namespace named after it, labelled with the team', () => {
    const objects = render(addon, { teams: [{ name: 'payments' }] });
    expect(objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'payments', labels: { ...LABELS, 'clusterops.io/team': 'payments' } },
      },
    ]);
  });

  it('renders namespaces, role bindings, quota and default requests for every namespace of a team', () => {
    const objects = render(addon, {
      teams: [
        {
          name: 'payments',
          namespaces: ['payments', 'payments-batch'],
          admins: ['payments-admins', { user: 'alice@example.com' }],
          viewers: [{ group: 'auditors' }],
          quota: { cpu: 8, memory: '16Gi', pods: 100 },
        },
      ],
    });
    expect(ids(objects)).toEqual([
      'Namespace payments',
      'RoleBinding payments/payments-admin',
      'RoleBinding payments/payments-view',
      'ResourceQuota payments/payments-quota',
      'LimitRange payments/payments-defaults',
      'Namespace payments-batch',
      'RoleBinding payments-batch/payments-admin',
      'RoleBinding payments-batch/payments-view',
      'ResourceQuota payments-batch/payments-quota',
      'LimitRange payments-batch/payments-defaults',
    ]);

    const admin = find(objects, 'RoleBinding', 'payments-admin', 'payments-batch');
    expect(admin.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(admin.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' });
    expect(admin.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'payments-admins' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice@example.com' },
    ]);
    const view = find(objects, 'RoleBinding', 'payments-view', 'payments');
    expect(view.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(view.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'auditors' }]);

    expect(find(objects, 'ResourceQuota', 'payments-quota', 'payments').spec).toEqual({
      hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '100' },
    });
    expect(find(objects, 'LimitRange', 'payments-defaults', 'payments').spec).toEqual({
      limits: [{ type: 'Container', defaultRequest: { cpu: '100m', memory: '128Mi' } }],
    });
    for (const o of objects) expect(o.metadata.labels).toEqual({ ...LABELS, 'clusterops.io/team': 'payments' });
  });

  it('sets default requests only for the resources the quota limits, and takes declared ones', () => {
    expect(ids(render(addon, { teams: [{ name: 'a', quota: { pods: 10 } }] }))).toEqual([
      'Namespace a',
      'ResourceQuota a/a-quota',
    ]);
    const cpuOnly = render(addon, { teams: [{ name: 'a', quota: { cpu: '2' } }] });
    expect(find(cpuOnly, 'ResourceQuota', 'a-quota', 'a').spec).toEqual({ hard: { 'requests.cpu': '2' } });
    expect(find(cpuOnly, 'LimitRange', 'a-defaults', 'a').spec).toEqual({
      limits: [{ type: 'Container', defaultRequest: { cpu: '100m' } }],
    });
    const declared = render(addon, {
      teams: [{ name: 'a', quota: { cpu: '500m', memory: '1Gi', defaultRequest: { cpu: '50m', memory: '64Mi' } } }],
    });
    expect(find(declared, 'LimitRange', 'a-defaults', 'a').spec).toEqual({
      limits: [{ type: 'Container', defaultRequest: { cpu: '50m', memory: '64Mi' } }],
    });
  });

  it('parses its own output to the same value (the loader may hand render either)', () => {
    const once = addon.settings.parse({
      teams: [{ name: 'a', admins: ['g'], viewers: [{ user: 'u' }], quota: { cpu: 1, memory: '1Gi', pods: 5 } }, { name: 'b' }],
    });
    expect(addon.settings.parse(once)).toEqual(once);
  });

  it('reports bad quantities at the quota field, with examples', () => {
    expect(issues(addon, { teams: [{ name: 'a', quota: { cpu: 'two', memory: '4GB', pods: 1.5 } }] })).toEqual([
      'teams.0.quota.cpu: "two" is not a Kubernetes quantity; write it like 500m or 2',
      'teams.0.quota.memory: "4GB" is not a Kubernetes quantity; write it like 512Mi or 4Gi',
      'teams.0.quota.pods: must be a whole number of pods, got 1.5',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quota: { memory: '512m' } }] })).toEqual([
      'teams.0.quota.memory: "512m" means 512 thousandths of a byte; write 512Mi (mebibytes) or 512M (megabytes)',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quota: { cpu: '-1' } }] })).toEqual([
      'teams.0.quota.cpu: "-1" is negative; a cpu amount must be 0 or more',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quota: {} }] })).toEqual([
      'teams.0.quota: set at least one of cpu, memory, pods (or remove quota)',
    ]);
  });

  it('refuses a quota smaller than the default container request, where the request comes from', () => {
    expect(issues(addon, { teams: [{ name: 'a', quota: { cpu: '50m' } }] })).toEqual([
      'teams.0.quota.cpu: 50m is below the default container request 100m, so no pod could start; raise it or set quota.defaultRequest.cpu',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quota: { memory: '1Gi', defaultRequest: { memory: '2Gi' } } }] })).toEqual([
      "teams.0.quota.defaultRequest.memory: default container request 2Gi exceeds the quota's memory 1Gi",
    ]);
  });

  it('refuses reserved, invalid and doubly owned namespaces', () => {
    expect(
      issues(addon, {
        teams: [
          { name: 'payments' },
          { name: 'search', namespaces: ['search', 'payments', 'kube-search', 'Search'] },
          { name: 'default' },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^teams\.1\.namespaces\.3: "Search" is not a DNS-1123 label/),
      'teams.1.namespaces.1: namespace "payments" is already listed by team "payments"',
      'teams.1.namespaces.2: namespace "kube-search" is reserved: names starting with "kube-" belong to Kubernetes',
      'teams.2.name: namespace "default" belongs to the cluster, not to a team; set namespaces for this team',
    ]);
  });

  it('refuses duplicate teams and duplicate subjects', () => {
    expect(issues(addon, { teams: [{ name: 'a' }, { name: 'a' }] })).toEqual(['teams.1.name: duplicate team name "a" (also at index 0)']);
    expect(issues(addon, { teams: [{ name: 'a', admins: ['g', { group: 'g' }] }] })).toEqual([
      'teams.0.admins.1: duplicate subject "group g" (also at index 0)',
    ]);
  });

  it('refuses malformed subjects, missing teams and unknown keys', () => {
    expect(issues(addon, {})).toEqual(['teams: is required']);
    expect(issues(addon, { teams: [] })).toEqual(['teams: list at least one team, or remove the add-on']);
    expect(issues(addon, { teams: [{ name: 'a', admins: [42, ''] }] })).toEqual([
      'teams.0.admins.0: must be a group name, {group: NAME} or {user: NAME}, got 42',
      'teams.0.admins.1: must be a group name, {group: NAME} or {user: NAME}, got ""',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quta: { cpu: 1 } }] })).toEqual([
      'teams.0: unknown key "quta"; allowed: name, namespaces, admins, viewers, quota',
    ]);
    expect(issues(addon, { teams: [{ name: 'a', quota: { cpu: 1, storage: '1Gi' } }] })).toEqual([
      'teams.0.quota: unknown key "storage"; allowed: cpu, memory, pods, defaultRequest',
    ]);
  });
});
