/** A Kubernetes object as synthesized: sent to the API server exactly as it is. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Where a ManifestSet is applied. */
export type ManifestTarget =
  | { kind: 'management'; stage: string }
  | { kind: 'workload'; stage: string; cluster: string };

/**
 * The unit of apply and prune: a set of objects with one inventory. One set per stage for the
 * management cluster (namespace, ClusterClasses, templates, Clusters) and one per workload
 * cluster for its add-ons.
 */
export interface ManifestSet {
  /** Stable identifier, also the inventory's name: `management.<stage>` or `addons.<stage>.<cluster>`. */
  id: string;
  target: ManifestTarget;
  /** Objects in deterministic order (sorted by apply order, then namespace and name). */
  objects: KubeObject[];
}

/** Annotation on a synthesized Cluster whose declaration asked for deletion protection. */
export const DELETION_PROTECTION_ANNOTATION = 'clusterops.io/deletion-protection';
/** Annotation a user puts on any object to keep prune away from it. */
export const PRUNE_ANNOTATION = 'clusterops.io/prune';
/** Label with the declaring stage and cluster, on every synthesized object. */
export const STAGE_LABEL = 'clusterops.io/stage';
export const CLUSTER_LABEL = 'clusterops.io/cluster';
