// The shapes this provider reads and writes, only the fields it uses, and their API paths.
import { LOCAL_KINDS, localApiVersion, type LocalKind } from '../model/local-provider-crds.js';
import type { WatchedObject } from '../kube/watch.js';

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** metav1.OwnerReference */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata every object here has. */
export interface Meta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  [key: string]: unknown;
}

/** An object of one of our kinds, or of Cluster API's. */
export interface Obj<Spec = Record<string, unknown>, Status = Record<string, unknown>> extends WatchedObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: Spec;
  status?: Status;
}

/** Endpoint of an API server. */
export interface Endpoint {
  host?: string;
  port?: number;
}

/** A v1beta2 ContractVersionedObjectReference. */
export interface ObjectRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** cluster.x-k8s.io/v1beta2 Cluster, what we read of it. */
export type Cluster = Obj<
  { paused?: boolean; controlPlaneEndpoint?: Endpoint; infrastructureRef?: ObjectRef; controlPlaneRef?: ObjectRef },
  { initialization?: { infrastructureProvisioned?: boolean; controlPlaneInitialized?: boolean } }
>;
/** cluster.x-k8s.io/v1beta2 Machine, what we read of it. */
export type Machine = Obj<{ clusterName: string; version?: string; bootstrap?: { dataSecretName?: string }; infrastructureRef?: ObjectRef }>;
/** LocalCluster */
export type LocalCluster = Obj<{ controlPlaneEndpoint?: Endpoint }, { conditions?: Condition[]; initialization?: { provisioned?: boolean } }>;
/** LocalMachine */
export type LocalMachine = Obj<{ providerID?: string }, { conditions?: Condition[]; nodeName?: string }>;
/** LocalControlPlane */
export type LocalControlPlane = Obj<{ version: string; replicas?: number }, { conditions?: Condition[]; initialization?: { controlPlaneInitialized?: boolean } }>;

/** Cluster API's core group and the version we speak. */
export const CAPI_GROUP = 'cluster.x-k8s.io';
export const CAPI_API_VERSION = `${CAPI_GROUP}/v1beta2`;
/** Label Cluster API puts on every object of a cluster. */
export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';
/** Annotation that pauses reconciliation of one object. */
export const PAUSED_ANNOTATION = 'cluster.x-k8s.io/paused';
/** Finalizer of every object this provider cleans up after. */
export const FINALIZER = 'local.clusterops.io/finalizer';

/** Collection path of one of our kinds, in every namespace or one. */
export function localPath(kind: LocalKind, namespace?: string, name?: string): string {
  const base = `/apis/${localApiVersion(kind)}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${LOCAL_KINDS[kind].plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Path of Cluster API core objects (`clusters`, `machines`). */
export function capiPath(plural: 'clusters' | 'machines', namespace?: string, name?: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${CAPI_API_VERSION}${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Path of a core/v1 namespaced object. */
export function corePath(plural: string, namespace: string, name?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The owner of `object` of the given Cluster API kind, if any. */
export function capiOwner(object: Obj, kind: 'Cluster' | 'Machine'): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.kind === kind && ref.apiVersion.startsWith(`${CAPI_GROUP}/`));
}

/** Whether Cluster API asks that nothing be done to `object` now: its Cluster is paused, or it is annotated paused. */
export function isPaused(cluster: Cluster | undefined, object: Obj): boolean {
  return cluster?.spec?.paused === true || object.metadata.annotations?.[PAUSED_ANNOTATION] !== undefined;
}

/** `namespace/name` */
export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The namespace and name of a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The LocalCluster a Cluster refers to, as a queue key. */
export function localClusterOf(cluster: Cluster): string | undefined {
  const ref = cluster.spec?.infrastructureRef;
  return ref?.kind === 'LocalCluster' ? keyOf(cluster.metadata.namespace, ref.name) : undefined;
}

/** The LocalControlPlane a Cluster refers to, as a queue key. */
export function localControlPlaneOf(cluster: Cluster): string | undefined {
  const ref = cluster.spec?.controlPlaneRef;
  return ref?.kind === 'LocalControlPlane' ? keyOf(cluster.metadata.namespace, ref.name) : undefined;
}
