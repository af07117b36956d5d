/**
 * Cluster API's own pause, as `clusterctl move` uses it: a Cluster with `spec.paused: true` is left
 * alone by every Cluster API controller and provider (the topology controller creates nothing for it,
 * no infrastructure is provisioned). A rebuild applies the fleet's Clusters paused, checks that their
 * identities are in place, then applies them again as declared (the field is dropped: unpaused).
 */
import type { KubeObject, ManifestSet } from '../model/manifest-set.js';

/** Whether an object is a Cluster API Cluster. */
export function isClusterApiCluster(object: KubeObject): boolean {
  return object.kind === 'Cluster' && object.apiVersion.startsWith('cluster.x-k8s.io/');
}

/** The sets with every Cluster API Cluster paused; the input is not changed; pure. */
export function withClustersPaused(sets: readonly ManifestSet[]): ManifestSet[] {
  return sets.map((set) => ({
    ...set,
    objects: set.objects.map((object) => {
      if (!isClusterApiCluster(object)) return object;
      const spec = (object as { spec?: Record<string, unknown> }).spec ?? {};
      return { ...object, spec: { ...spec, paused: true } } as KubeObject;
    }),
  }));
}

/** The Cluster API Clusters of the sets, as `namespace/name`, sorted; pure. */
export function clustersOf(sets: readonly ManifestSet[]): string[] {
  return sets
    .flatMap((set) => set.objects.filter(isClusterApiCluster))
    .map((object) => `${object.metadata.namespace}/${object.metadata.name}`)
    .sort();
}
