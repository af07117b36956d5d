import type { KubeApi } from '../kube/client.js';
import { resourcePath, type ResourceInfo } from '../kube/discovery.js';
import { refKey } from './object-ref.js';

/** What a metadata-only list tells about one live object. */
export interface LiveMeta {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  deleting: boolean;
  /** Uids of the objects named in its ownerReferences (garbage collection deletes it with them). */
  ownerUids: string[];
}

/** The metadata of a live object as the API server sends it (full or metadata-only). */
export interface ObjectMetadata {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: Array<{ uid: string }>;
}

interface PartialObjectMetadataList {
  metadata?: { continue?: string };
  items?: Array<{ metadata: ObjectMetadata }>;
}

/** What clusterops keeps of a live object's metadata. */
export function toLiveMeta(m: ObjectMetadata, namespaced: boolean): LiveMeta {
  return {
    namespace: namespaced ? (m.namespace ?? '') : '',
    name: m.name,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    generation: m.generation,
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    deleting: m.deletionTimestamp !== undefined,
    ownerUids: (m.ownerReferences ?? []).map((o) => o.uid),
  };
}

/** Accept header asking for metadata only: a list costs a fraction of the full objects. */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const PAGE_SIZE = 2000;

/**
 * Lists, across all namespaces, the objects of one resource carrying a label selector, metadata
 * only; keyed by refKey. Any failure throws: callers must never read a failed list as "absent".
 */
export async function listLive(api: KubeApi, info: ResourceInfo, labelSelector?: string, namespace?: string): Promise<Map<string, LiveMeta>> {
  const out = new Map<string, LiveMeta>();
  let token: string | undefined;
  do {
    const res = await api.request<PartialObjectMetadataList>({
      verb: 'list',
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { labelSelector, limit: String(PAGE_SIZE), continue: token },
      accept: METADATA_ONLY,
    });
    for (const item of res.body.items ?? []) {
      const live = toLiveMeta(item.metadata, info.namespaced);
      out.set(refKey({ group: info.group, kind: info.kind, namespace: live.namespace, name: live.name }), live);
    }
    token = res.body.metadata?.continue || undefined;
  } while (token);
  return out;
}
