/**
 * Which declared clusters have their identity in the Pulumi state: the four key materials of the
 * management stack (`<stage>/<cluster>/{ca,etcd,proxy,sa}`, see stacks/identities.ts). A rebuild
 * refuses a cluster whose identity is missing rather than let `pulumi up` invent a new CA for a
 * cluster that exists: every kubeconfig and every node of it would stop trusting its API server.
 */
import type { StateResource } from '../pulumi/stack-run.js';

/** The suffixes of one cluster's key materials, as the stack names them. */
export const IDENTITY_PARTS = ['ca', 'etcd', 'proxy', 'sa'] as const;

/** A declared cluster, by stage and name. */
export interface ClusterName {
  stage: string;
  name: string;
}

/** `stage/name` */
export const clusterKey = (c: ClusterName): string => `${c.stage}/${c.name}`;

/** Whether a state resource is a key material (the dynamic resource KeyMaterial). */
function isKeyMaterial(resource: StateResource): boolean {
  return resource.type.endsWith(':KeyMaterial');
}

/** The clusters (`stage/name`) some of whose key materials the state lacks, sorted; pure. */
export function missingIdentities(clusters: readonly ClusterName[], state: readonly StateResource[]): string[] {
  const present = new Set(state.filter(isKeyMaterial).map((r) => r.name));
  return clusters
    .filter((c) => IDENTITY_PARTS.some((part) => !present.has(`${clusterKey(c)}/${part}`)))
    .map(clusterKey)
    .sort();
}

/** Clusters (`stage/name`) with key material in the state (all of it or part) but no declaration; pure. */
export function undeclaredIdentities(clusters: readonly ClusterName[], state: readonly StateResource[]): string[] {
  const declared = new Set(clusters.map(clusterKey));
  const inState = new Set(state.filter(isKeyMaterial).map((r) => r.name.split('/').slice(0, 2).join('/')));
  return [...inState].filter((key) => !declared.has(key)).sort();
}

/** The URNs of everything the state holds of the given clusters (`stage/name`): their identity components and what is under them; pure. */
export function resourcesOf(keys: readonly string[], state: readonly StateResource[]): string[] {
  return state.filter((r) => keys.some((key) => r.name === key || r.name.startsWith(`${key}/`))).map((r) => r.urn);
}
