import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Fleet } from '../src/model/fleet.js';
import type { WorkloadCluster } from '../src/model/workload-cluster.js';
import type { KubeObject } from '../src/model/manifest-set.js';
import type { StackConfig } from './config.js';
import { ClusterIdentity, IDENTITY_SECRET_SUFFIXES, identitySecretName } from './identities.js';
import { stageNamespaces } from './namespaces.js';
import { reconcilerResources } from './reconciler.js';

/**
 * Name of the stack's one kubernetes provider (it reads the management cluster from KUBECONFIG,
 * like a default provider). Explicit, because the yaml/v2 ConfigGroup is a component the provider
 * constructs itself: without a provider of ours, its children are registered with an unversioned
 * default provider (`default`) during up, which a preview does not register, so every preview after
 * an up planned to delete it; and the program's own resources had another (`default_4_25_0`).
 */
export const MANAGEMENT_PROVIDER = 'management';

/** What the stack exports for one cluster: where its identity lives; never key material. */
export interface ClusterSummary {
  namespace: string;
  secrets: string[];
  protected: boolean;
}

/** The stack outputs: the managed stages and, per `<stage>/<cluster>`, its identity summary. */
export interface ManagementStackOutputs {
  stages: string[];
  clusters: Record<string, ClusterSummary>;
}

/** The clusters of `fleet` that belong to one of `stages`; an error when a stage has no folder (a typo would drop its clusters). */
export function managedClusters(fleet: Fleet, stages: readonly string[]): WorkloadCluster[] {
  const known = new Set([...fleet.stages.map((s) => s.name), ...fleet.clusters.map((c) => c.stage)]);
  const missing = stages.filter((s) => !known.has(s));
  if (missing.length) {
    throw new pulumi.RunError(
      `config stages names ${missing.map((s) => `"${s}"`).join(', ')} but ${fleet.root} has no such stage folder ` +
        `(stages there: ${[...known].sort().join(', ') || 'none'})`,
    );
  }
  const wanted = new Set(stages);
  return fleet.clusters.filter((c) => wanted.has(c.stage));
}

/**
 * Declares the management plane of one management cluster: a Namespace per managed stage, the
 * reconciler and its Secrets (scope `all` only), and each managed cluster's identity (see ClusterIdentity).
 */
export function managementStack(
  config: StackConfig,
  fleet: Fleet,
  reconcilerManifests?: readonly KubeObject[],
): ManagementStackOutputs {
  const clusters = managedClusters(fleet, config.stages);
  // One explicit provider for everything, the yaml/v2 ConfigGroup's children included: see MANAGEMENT_PROVIDER.
  const provider = new k8s.Provider(MANAGEMENT_PROVIDER, {});
  const namespaces = stageNamespaces(
    config.stages.map((name) => ({ name, protect: clusters.some((c) => c.stage === name && c.spec.deletionProtection) })),
    { provider },
  );
  if (config.scope === 'all') reconcilerResources(config, reconcilerManifests, { provider });
  const summaries: Record<string, ClusterSummary> = {};
  for (const cluster of clusters) {
    const namespace = namespaces.get(cluster.stage)!;
    new ClusterIdentity(cluster, { namespace: namespace.metadata.name }, { providers: [provider] });
    summaries[`${cluster.stage}/${cluster.name}`] = {
      namespace: cluster.stage,
      secrets: IDENTITY_SECRET_SUFFIXES.map((s) => identitySecretName(cluster.name, s)),
      protected: cluster.spec.deletionProtection,
    };
  }
  return { stages: [...config.stages], clusters: summaries };
}
