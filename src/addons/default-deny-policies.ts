import type { Construct } from 'constructs';
import { group } from './_cdk8s.js';
import type { z } from 'zod';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import type { AddonDefinition } from './addon.js';
import { addObject, type NetworkPolicyBody } from './_kinds.js';
import { boolean, dns1123Label, duplicates, list, strictObject } from './_schema.js';
import { clusterTeamNamespaces } from './team-namespaces.js';

/** Catalog name of this add-on. */
export const DEFAULT_DENY_POLICIES = 'default-deny-policies';

/** Namespaces the platform always has, covered when `namespaces` is not set. */
export const PLATFORM_NAMESPACES: readonly string[] = ['default'];

/** Where cluster DNS runs: CoreDNS pods as kubeadm and the managed distributions label them. */
const CLUSTER_DNS: NetworkPolicyBody['spec']['egress'] = [
  {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  },
];

/** Settings of `default-deny-policies`. */
export const defaultDenyPoliciesSettings = strictObject({
  namespaces: list(
    dns1123Label().refine((name) => !name.startsWith('kube-'), {
      error: (i) => `${JSON.stringify(i.input)} belongs to Kubernetes; denying traffic there breaks cluster DNS and system components`,
    }),
  )
    .min(1, { error: 'list at least one namespace, or omit namespaces for the platform defaults' })
    .optional(),
  denyEgress: boolean().default(false),
  allowDns: boolean().default(true),
}).superRefine((settings, ctx) => {
  if (settings.namespaces) duplicates(settings.namespaces, ctx, ['namespaces'], 'namespace');
});

/** Validated, defaulted settings of `default-deny-policies`. */
export type DefaultDenyPoliciesSettings = z.output<typeof defaultDenyPoliciesSettings>;

/**
 * The namespaces the policies go into: the declared ones, or else every namespace the platform
 * creates in `cluster` (`default`, then the namespaces of `team-namespaces` when it is enabled).
 */
export function denyNamespaces(cluster: WorkloadCluster, settings: DefaultDenyPoliciesSettings): string[] {
  return settings.namespaces ?? [...new Set([...PLATFORM_NAMESPACES, ...clusterTeamNamespaces(cluster)])];
}

/** The policies of one namespace, in order: name, policy types and rules. */
function policies(settings: DefaultDenyPoliciesSettings): Array<{ name: string; spec: NetworkPolicyBody['spec'] }> {
  const selectAll = {};
  return [
    { name: 'default-deny-ingress', spec: { podSelector: selectAll, policyTypes: ['Ingress'] } },
    ...(settings.denyEgress ? [{ name: 'default-deny-egress', spec: { podSelector: selectAll, policyTypes: ['Egress' as const] } }] : []),
    ...(settings.denyEgress && settings.allowDns
      ? [{ name: 'allow-dns-egress', spec: { podSelector: selectAll, policyTypes: ['Egress' as const], egress: CLUSTER_DNS } }]
      : []),
  ] satisfies Array<{ name: string; spec: NetworkPolicyBody['spec'] }>;
}

/** Adds the deny (and DNS allow) NetworkPolicies to every selected namespace. */
function render(scope: Construct, cluster: WorkloadCluster, settings: DefaultDenyPoliciesSettings): void {
  const root = group(scope, DEFAULT_DENY_POLICIES);
  for (const namespace of denyNamespaces(cluster, settings)) {
    for (const { name, spec } of policies(settings)) {
      addObject(root, DEFAULT_DENY_POLICIES, 'NetworkPolicy', { metadata: { name, namespace }, spec });
    }
  }
}

/** NetworkPolicies that deny all ingress (and optionally egress, keeping DNS) in selected namespaces. */
export const defaultDenyPoliciesAddon: AddonDefinition<DefaultDenyPoliciesSettings> = {
  name: DEFAULT_DENY_POLICIES,
  description: 'NetworkPolicies that deny all ingress, and optionally all egress except cluster DNS, by default in selected namespaces.',
  settings: defaultDenyPoliciesSettings,
  render,
};
