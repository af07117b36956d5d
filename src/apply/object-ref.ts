import type { KubeObject } from '../model/manifest-set.js';
import { splitApiVersion } from '../kube/discovery.js';

/** The identity of one object: group, kind, namespace and name (the version is not part of it). */
export interface ObjectRef {
  group: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The identity of an object. */
export function refOf(obj: KubeObject): ObjectRef {
  return {
    group: splitApiVersion(obj.apiVersion).group,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
  };
}

/** `Kind.group` as the ApplySet contains-group-kinds annotation spells it (`Kind` for the core group). */
export function groupKindOf(ref: { group: string; kind: string }): string {
  return ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
}

/** A stable key for maps and the inventory: `group/Kind/namespace/name`. */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Inverse of refKey; undefined for a malformed key. */
export function parseRefKey(key: string): ObjectRef | undefined {
  const parts = key.split('/');
  if (parts.length !== 4 || !parts[1] || !parts[3]) return undefined;
  return { group: parts[0], kind: parts[1], namespace: parts[2], name: parts[3] };
}

/** How people read a ref: `Kind/namespace/name` or `Kind/name`. */
export function displayRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
