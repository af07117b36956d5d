import { contentHash } from '../apply/content-hash.js';
import type { ManifestSet } from '../model/manifest-set.js';
import type { Action } from '../model/outcome.js';
import type { AddonHealth } from './addon-health.js';

/** What the reconciler knows about one ManifestSet: what is wanted, what is applied, how it fails. */
export interface Target {
  set: ManifestSet;
  hash: string;
  /** Content hash and set last applied without errors. */
  appliedHash?: string;
  appliedSet?: ManifestSet;
  /** The revision whose output is applied. */
  appliedRevision?: string;
  /** When the applied revision last changed. */
  appliedAt?: string;
  failures: number;
  nextAttemptAt: number;
  lastError?: string;
  lastCounts?: Record<Action | 'errors', number>;
  /** Add-on sets: why they are not applied now (`suspended`, or the kubeconfig's problem). */
  waiting?: string;
  health?: AddonHealth;
  /**
   * Add-on sets whose kubeconfig Secret was missing: how often in a row, and when to read it again
   * (the drift interval, doubling per miss up to a bound; a reconcile request or runOnce reads it at once).
   */
  missingKubeconfig?: { misses: number; nextCheckAt: number };
  /** Management sets: clusters whose declaration is gone but whose WorkloadCluster prune kept, with the reason. */
  keptUndeclared?: Map<string, string>;
}

/** Takes the sets of a new revision: new targets for new sets, changed content retried at once, targets of gone sets dropped. */
export function syncTargets(targets: Map<string, Target>, sets: ReadonlyMap<string, ManifestSet>): void {
  for (const [id, set] of sets) {
    const hash = contentHash(set.objects);
    const t = targets.get(id);
    if (!t) targets.set(id, { set, hash, failures: 0, nextAttemptAt: 0 });
    else {
      if (t.hash !== hash) {
        t.failures = 0;
        t.nextAttemptAt = 0;
      }
      t.set = set;
      t.hash = hash;
    }
  }
  for (const id of [...targets.keys()]) if (!sets.has(id)) targets.delete(id);
}

/** Whether the newest content of a target is applied without errors. */
export function inSync(t: Target | undefined): boolean {
  return !t || (t.appliedHash === t.hash && !t.lastError);
}

/** Exponential backoff with jitter: base doubled per failure, capped at max, 80-100% of that. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return ceiling * (0.8 + Math.random() * 0.2);
}

/** Now as an RFC 3339 timestamp with seconds, as Kubernetes writes them. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
