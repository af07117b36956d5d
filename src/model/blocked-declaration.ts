/** One thing wrong with the declarations, pinned to the place a user must edit. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Field path inside the document, e.g. `spec.nodePools[0].replicas`; empty for the whole file. */
  path: string;
  message: string;
}

/**
 * A stage or one cluster whose declaration does not validate in a revision, with its problems: it
 * stays as the last good revision left it while the rest of the fleet moves on. `clusters` names
 * the cluster by its declared metadata.name and by its file name (so a cluster whose name is what
 * broke is still recognized); it is absent when the whole stage is blocked.
 */
export interface BlockedDeclaration {
  stage: string;
  clusters?: string[];
  problems: Problem[];
}

/** Whether `blocked` holds the cluster `name` of `stage` (the whole stage, or that cluster). */
export function isBlocked(blocked: readonly BlockedDeclaration[], stage: string, name: string): BlockedDeclaration | undefined {
  return blocked.find((b) => b.stage === stage && (!b.clusters || b.clusters.includes(name)));
}
