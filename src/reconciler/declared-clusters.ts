import { CLUSTER_LABEL, type ManifestSet } from '../model/manifest-set.js';
import { WORKLOAD_CLUSTER_API_VERSION } from '../charts/workload-cluster-crd.js';

/** One declared cluster, as the reconciler reports on it: where its WorkloadCluster mirror lives. */
export interface DeclaredCluster {
  stage: string;
  name: string;
  /** Namespace of its WorkloadCluster mirror and Cluster API objects. */
  namespace: string;
}

/**
 * The clusters a revision declares, read from the WorkloadCluster mirrors of its management sets
 * (synthesized from the loaded Fleet, stage defaults merged): the reconciler reads the YAML once,
 * through synth, like every other caller.
 */
export function declaredClusters(sets: Iterable<ManifestSet>): DeclaredCluster[] {
  const out: DeclaredCluster[] = [];
  for (const set of sets) {
    if (set.target.kind !== 'management') continue;
    for (const o of set.objects) {
      if (o.kind !== 'WorkloadCluster' || o.apiVersion !== WORKLOAD_CLUSTER_API_VERSION) continue;
      out.push({ stage: set.target.stage, name: o.metadata.labels?.[CLUSTER_LABEL] ?? o.metadata.name, namespace: o.metadata.namespace ?? set.target.stage });
    }
  }
  return out;
}
