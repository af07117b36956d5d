import type { BlockedDeclaration } from './blocked-declaration.js';
import type { KubeObject, ManifestSet } from './manifest-set.js';

/**
 * Version of the document `clusterops synth --format sets-json` writes and the reconciler reads:
 * a revision's own code and the reconciler that runs it agree on this schema, not on CLI text.
 */
export const MANIFEST_SETS_API_VERSION = 'clusterops.io/manifest-sets/v1';

/** An object of a set in the document whose body (every field but metadata) is `bodies[$body]`. */
export interface SharedBodyObject {
  $body: number;
  metadata: KubeObject['metadata'];
}

/** The machine interface of synth: every ManifestSet of a fleet, with its target, as one JSON document. */
export interface ManifestSetsDocument {
  apiVersion: typeof MANIFEST_SETS_API_VERSION;
  sets: Array<Omit<ManifestSet, 'objects'> & { objects: Array<KubeObject | SharedBodyObject> }>;
  /**
   * Bodies shared by objects of many sets (a Helm chart's CRDs in every cluster's add-ons): each
   * written once, and an object stands for `{...bodies[$body], metadata}`. Absent in documents of
   * older revisions, and when nothing is shared.
   */
  bodies?: Array<Omit<KubeObject, 'metadata'>>;
  /**
   * The stages and clusters whose declarations do not validate, left out of `sets`: the reconciler
   * keeps them as the last good revision applied them. Absent in documents of older revisions.
   */
  blocked?: BlockedDeclaration[];
}

/**
 * The document for `sets`, and the declarations left out of them. Objects whose body is the same
 * in memory (the same values, by identity: what the render cache of Helm charts shares) in more
 * than one place are written with a reference to one copy in `bodies`.
 */
export function manifestSetsDocument(sets: ManifestSet[], blocked: BlockedDeclaration[] = []): ManifestSetsDocument {
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (v: object) => {
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = nextId++));
    return id;
  };
  const keyOf = (o: KubeObject): string | undefined => {
    let shared = false;
    const parts: string[] = [];
    for (const [k, v] of Object.entries(o)) {
      if (k === 'metadata') continue;
      if (typeof v === 'object' && v !== null) {
        shared = true;
        parts.push(`${k}=#${idOf(v)}`);
      } else parts.push(`${k}=${JSON.stringify(v)}`);
    }
    return shared ? parts.join('\0') : undefined;
  };
  const uses = new Map<string, number>();
  const keys = sets.map((s) => s.objects.map((o) => {
    const key = keyOf(o);
    if (key !== undefined) uses.set(key, (uses.get(key) ?? 0) + 1);
    return key;
  }));
  const bodies: Array<Omit<KubeObject, 'metadata'>> = [];
  const bodyIndex = new Map<string, number>();
  const written = sets.map(({ id, target, objects, addons }, i) => ({
    id,
    target,
    objects: objects.map((o, j): KubeObject | SharedBodyObject => {
      const key = keys[i]![j];
      if (key === undefined || (uses.get(key) ?? 0) < 2) return o;
      let index = bodyIndex.get(key);
      if (index === undefined) {
        const { metadata: _, ...body } = o;
        bodyIndex.set(key, (index = bodies.push(body) - 1));
      }
      return { $body: index, metadata: o.metadata };
    }),
    ...(addons ? { addons } : {}),
  }));
  return { apiVersion: MANIFEST_SETS_API_VERSION, sets: written, ...(bodies.length ? { bodies } : {}), ...(blocked.length ? { blocked } : {}) };
}
