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
  /**
   * Of an add-on set: the add-ons its cluster declares. A member of the inventory labelled
   * ADDON_LABEL with any other add-on was removed from the declaration on purpose, so its prune is
   * not counted against the mass-prune limit. Absent: every prune counts.
   */
  addons?: string[];
}

/** Label naming the add-on that rendered an object (the key under `spec.addons`). */
export const ADDON_LABEL = 'clusterops.io/addon';

/** Id of the management ManifestSet of `stage`. */
export function managementSetId(stage: string): string {
  return `management.${stage}`;
}

/** Id of the add-on ManifestSet of `cluster` in `stage`. */
export function addonSetId(stage: string, cluster: string): string {
  return `addons.${stage}.${cluster}`;
}

/** The target of a ManifestSet, from its id (`management.<stage>` or `addons.<stage>.<cluster>`); undefined for any other id. */
export function targetOfSetId(id: string): ManifestTarget | undefined {
  const parts = id.split('.');
  if (parts[0] === 'management' && parts.length === 2) return { kind: 'management', stage: parts[1] };
  if (parts[0] === 'addons' && parts.length === 3) return { kind: 'workload', stage: parts[1], cluster: parts[2] };
  return undefined;
}

/** Namespace of the inventories (ApplySet parents) in every cluster clusterops applies to, and of the reconciler. */
export const INVENTORY_NAMESPACE = 'clusterops-system';

/** Annotation on a synthesized Cluster whose declaration asked for deletion protection. */
export const DELETION_PROTECTION_ANNOTATION = 'clusterops.io/deletion-protection';
/** Annotation a user puts on any object to keep prune away from it. */
export const PRUNE_ANNOTATION = 'clusterops.io/prune';
/** Label with the declaring stage and cluster, on every synthesized object. */
export const STAGE_LABEL = 'clusterops.io/stage';
export const CLUSTER_LABEL = 'clusterops.io/cluster';
