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
}

/** The document for `sets`. */
export function manifestSetsDocument(sets: ManifestSet[]): ManifestSetsDocument {
  return { apiVersion: MANIFEST_SETS_API_VERSION, sets: sets.map(({ id, target, objects }) => ({ id, target, objects })) };
}
