/**
 * Taking a revision: fetch the branch, check a new revision out, synthesize it with its own code.
 * The last revision that synthesized stays the good one while a newer one fails; a failed revision
 * is tried again with backoff, and the source's failures and recoveries are logged and notified.
 */
import type { Logger } from 'pino';
import type { ManifestSet } from '../model/manifest-set.js';
import { isBlocked, type BlockedDeclaration } from '../model/blocked-declaration.js';
import { formatProblem } from '../spec/problem.js';
import { admitRevision } from './admit-revision.js';
import { carryBlocked, type HeldCluster } from './held-declarations.js';
import { declaredClusters, type DeclaredCluster } from './declared-clusters.js';
import type { FetchResult } from './git-source.js';
import type { FailurePhase, ReconcilerMetrics } from './metrics.js';
import type { NotificationSink } from './notifier.js';
import type { StackUpReport } from './stack-runner.js';
import { SynthError, type SynthResult } from './synth-runner.js';

/** Where revisions come from: a GitSource, or anything that fetches and checks out the same way. */
export interface RevisionSource {
  fetch(): Promise<FetchResult>;
  checkout(revision: string, inUse?: Iterable<string>): Promise<string>;
  readonly displayUrl: string;
}

/** Turns a checked-out revision into ManifestSets (a SynthRunner in production). */
export interface Synthesizer {
  synth(checkout: string): Promise<SynthResult>;
}

/** Runs the revision's Pulumi stack before anything of it is applied (a StackRunner; `--pulumi-stack`). */
export interface StackStep {
  /** Resolves the report (`unchanged` when no up was needed); throws a StackUpError (with its report) when the up failed. */
  upIfChanged(checkout: string, revision: string, stages: readonly string[]): Promise<StackUpReport>;
}

/** A revision that synthesized. */
export interface GoodRevision {
  revision: string;
  checkout: string;
  /** Its sets; those of blocked declarations carried over from the revision before it. */
  sets: Map<string, ManifestSet>;
  clusters: DeclaredCluster[];
  /** Stages and clusters whose declarations do not validate in it (they are held). */
  blocked: BlockedDeclaration[];
  /** The declared clusters that are held, with the revision each stays on. */
  held: HeldCluster[];
}

/** What taking a revision needs. */
export interface RevisionsOptions {
  source: RevisionSource;
  synthesizer: Synthesizer;
  logger: Logger;
  metrics: ReconcilerMetrics;
  notifier?: NotificationSink;
  /** The stack step between admission and apply. @default none */
  stack?: StackStep;
  /** Delay before a failed revision is tried again, by failures so far. */
  backoff: (failures: number) => number;
}

/** The newest revision's state: the good one, and why a newer one is not used. */
export class Revisions {
  /** The newest revision that synthesized. */
  good: GoodRevision | undefined;
  /** The newest fetched revision. */
  lastFetched: string | undefined;
  /** Why the last fetch failed, while it fails. */
  fetchError: string | undefined;
  /** The report of the newest stack step (`--pulumi-stack`): succeeded, unchanged or failed. */
  stack: StackUpReport | undefined;
  private failed: { revision: string; error: string; phase: FailurePhase; at: number; failures: number } | undefined;
  /** The first revision rejected since the last one that synthesized, for the recovery notification. */
  private rejectedSince: string | undefined;

  constructor(private readonly o: RevisionsOptions) {}

  /** The newest fetched revision, when it was rejected (`phase` pulumi: its stack's up failed). */
  get rejected(): { revision: string; error: string; phase: FailurePhase } | undefined {
    return this.failed && this.failed.revision === this.lastFetched ? this.failed : undefined;
  }

  /** Why the newest revision is not the one applied (fetch or synth), if it is not. */
  get sourceError(): string | undefined {
    return this.fetchError ?? this.rejected?.error;
  }

  /**
   * Fetches; on a new revision, checks it out and synthesizes it. Resolves the new good revision,
   * or undefined when there is none (unchanged, failing, or waiting for its backoff); calls
   * `onRejected` once per rejection.
   */
  async take(onRejected: (revision: string, message: string) => Promise<void>): Promise<GoodRevision | undefined> {
    let fetched: FetchResult;
    try {
      fetched = await this.o.source.fetch();
      if (this.fetchError) {
        this.o.logger.info({ url: this.o.source.displayUrl }, 'fetch works again');
        this.o.notifier?.notify({ event: 'recovery', subject: 'source', revision: fetched.revision, message: `fetching ${this.o.source.displayUrl} works again` });
      }
      this.fetchError = undefined;
    } catch (error) {
      const first = this.fetchError === undefined;
      this.fetchError = `fetch failed: ${error instanceof Error ? error.message : String(error)}`;
      if (first) this.o.notifier?.notify({ event: 'failure', subject: 'source', phase: 'fetch', message: this.fetchError });
      this.o.metrics.recordFailure('fetch');
      this.o.logger.error({ url: this.o.source.displayUrl, err: this.fetchError }, 'fetch failed; the last good revision stays applied');
      return undefined;
    }
    this.lastFetched = fetched.revision;
    this.o.metrics.setSourceRevision(fetched.revision);
    if (fetched.revision === this.good?.revision) return undefined;
    const failed = this.failed;
    if (failed?.revision === fetched.revision && Date.now() < failed.at + this.o.backoff(failed.failures)) return undefined;

    const log = this.o.logger.child({ revision: fetched.revision.slice(0, 12) });
    log.info('new revision; synthesizing');
    const t0 = Date.now();
    let checkout: string;
    let synth: SynthResult;
    let admitted: { sets: ManifestSet[]; blocked: BlockedDeclaration[] };
    try {
      checkout = await this.o.source.checkout(fetched.revision, this.good ? [this.good.revision] : []);
      synth = await this.o.synthesizer.synth(checkout);
      // What a revision emits is admitted by policy (read by our own code) before anything of it is applied.
      admitted = await admitRevision(checkout, synth.sets);
      // The revision's stack is brought up before any of its objects is applied: identities before the Clusters using them.
      if (this.o.stack) {
        const stages = admitted.sets.flatMap((set) => (set.target.kind === 'management' ? [set.target.stage] : []));
        this.stack = await this.o.stack.upIfChanged(checkout, fetched.revision, stages);
        this.o.metrics.recordStackUp(this.stack);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const stackReport = (error as { report?: StackUpReport }).report;
      const phase: FailurePhase = stackReport ? 'pulumi' : 'synth';
      if (stackReport) {
        this.stack = stackReport;
        this.o.metrics.recordStackUp(stackReport);
      }
      const failures = failed?.revision === fetched.revision ? failed.failures + 1 : 1;
      this.failed = { revision: fetched.revision, error: message, phase, at: Date.now(), failures };
      this.rejectedSince ??= fetched.revision;
      if (!stackReport) this.o.metrics.recordFailure(phase);
      log.error({ phase: error instanceof SynthError ? error.phase : stackReport ? 'pulumi' : 'checkout', err: message }, 'revision rejected; the last good revision stays applied');
      if (failures === 1) {
        this.o.notifier?.notify({
          event: 'failure',
          subject: 'source',
          phase,
          revision: fetched.revision,
          message: `revision ${fetched.revision.slice(0, 12)} rejected; the last good revision stays applied: ${message}`,
        });
      }
      await onRejected(fetched.revision, message);
      return undefined;
    }
    if (this.rejectedSince) {
      this.o.notifier?.notify({ event: 'recovery', subject: 'source', revision: fetched.revision, message: `revision ${fetched.revision.slice(0, 12)} synthesizes again` });
    }
    this.rejectedSince = undefined;
    this.failed = undefined;
    const blocked = mergeBlocked([...(synth.blocked ?? []), ...admitted.blocked]);
    const { sets, held } = carryBlocked(admitted.sets, blocked, this.good);
    const clusters = declaredClusters(sets);
    log.info({ sets: sets.length, clusters: clusters.length, blocked: blocked.length, ms: Date.now() - t0, timings: synth.timings }, 'revision synthesized');
    for (const b of blocked) {
      const what = b.clusters ? `cluster ${b.clusters.join(' / ')} of stage ${b.stage}` : `stage ${b.stage}`;
      const stays = held.filter((h) => h.blocked === b);
      log.error(
        { stage: b.stage, clusters: b.clusters, problems: b.problems.slice(0, 5).map(formatProblem), heldAt: stays.map((h) => h.revision?.slice(0, 12) ?? 'unknown') },
        `${what} does not validate; it stays as applied before, the rest of the fleet moves on`,
      );
    }
    if (blocked.length > 0) this.o.metrics.recordFailure('declaration');
    this.good = { revision: fetched.revision, checkout, sets: new Map(sets.map((set) => [set.id, set])), clusters, blocked, held };
    return this.good;
  }
}

/** One entry per blocked stage (its own and its clusters' problems together) or per blocked cluster. */
function mergeBlocked(blocked: readonly BlockedDeclaration[]): BlockedDeclaration[] {
  const out: BlockedDeclaration[] = [];
  for (const b of [...blocked].sort((x, y) => Number(!!x.clusters) - Number(!!y.clusters))) {
    const stage = out.find((o) => o.stage === b.stage && !o.clusters);
    if (stage) {
      for (const p of b.problems) if (!stage.problems.some((q) => formatProblem(q) === formatProblem(p))) stage.problems.push(p);
    } else if (!b.clusters || !b.clusters.some((c) => isBlocked(out, b.stage, c))) out.push({ ...b, problems: [...b.problems] });
  }
  return out;
}
