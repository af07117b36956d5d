import type { BlockedDeclaration } from './blocked-declaration.js';
import type { ManifestSet } from './manifest-set.js';

/**
 * Version of the document `clusterops synth --format sets-json` writes and the reconciler reads:
 * a revision's own code and the reconciler that runs it agree on this schema, not on CLI text.
 */
export const MANIFEST_SETS_API_VERSION = 'clusterops.io/manifest-sets/v1';

/** The machine interface of synth: every ManifestSet of a fleet, with its target, as one JSON document. */
export interface ManifestSetsDocument {
  apiVersion: typeof MANIFEST_SETS_API_VERSION;
  sets: ManifestSet[];
  /**
   * The stages and clusters whose declarations do not validate, left out of `sets`: the reconciler
   * keeps them as the last good revision applied them. Absent in documents of older revisions.
   */
  blocked?: BlockedDeclaration[];
}

/** The document for `sets`, and the declarations left out of them. */
export function manifestSetsDocument(sets: ManifestSet[], blocked: BlockedDeclaration[] = []): ManifestSetsDocument {
  return { apiVersion: MANIFEST_SETS_API_VERSION, sets: sets.map(({ id, target, objects, addons }) => ({ id, target, objects, ...(addons ? { addons } : {}) })), ...(blocked.length ? { blocked } : {}) };
}
