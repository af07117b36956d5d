/**
 * The WorkloadCluster object that mirrors a declaration into the management cluster, beside its
 * Cluster API objects: what `kubectl get workloadclusters -A` lists and where the reconciler writes
 * status. It is part of the stage's management set like every other object, so the CLI and the
 * reconciler apply, diff and prune the very same set.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { DELETION_PROTECTION_ANNOTATION } from '../model/manifest-set.js';
import type { WorkloadCluster } from '../model/workload-cluster.js';
import { clusterLabels } from './cluster.js';
import { WORKLOAD_CLUSTER_API_VERSION } from './workload-cluster-crd.js';

/** Adds the WorkloadCluster mirror of `cluster` (its spec with stage defaults merged) to `scope`, in the stage's namespace. */
export function addWorkloadClusterMirror(scope: Construct, cluster: WorkloadCluster): ApiObject {
  return new ApiObject(scope, `workload-cluster-${cluster.name}`, {
    apiVersion: WORKLOAD_CLUSTER_API_VERSION,
    kind: 'WorkloadCluster',
    metadata: {
      name: cluster.name,
      namespace: cluster.stage,
      labels: clusterLabels(cluster),
      annotations: cluster.spec.deletionProtection ? { [DELETION_PROTECTION_ANNOTATION]: 'true' } : undefined,
    },
    spec: structuredClone(cluster.spec),
  });
}
