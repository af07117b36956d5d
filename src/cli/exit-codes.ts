/** Exit codes every clusterops command shares, after kubectl's. */
export const ExitCode = {
  /** Success; for `diff`, no changes. */
  ok: 0,
  /** Invalid declarations; for `diff`, changes found; a failed apply. */
  failed: 1,
  /** Usage error: unknown flag, missing argument, unreadable clusters folder. */
  usage: 2,
  /** For `ci`: every check that ran passed, but at least one could not run (no kubeconfig, no Pulumi engine, no base revision). */
  incomplete: 3,
  /** For the verbs on one cluster (`kubeconfig`, `get`, `describe`, …): it does not exist (yet). */
  notFound: 3,
  /** For `rebuild`: another rebuild of the same management cluster holds the lock. */
  locked: 4,
} as const;

/** A mistake in how a command was called; printed as `error: …` and exits 2. */
export class UsageError extends Error {}

/** What a command was asked about does not exist; printed as `error: …` and exits 3. */
export class NotFoundError extends Error {}
