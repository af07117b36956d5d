import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Action, ChangeSet } from '../apply/change-set.js';
import type { StackUpReport } from './stack-runner.js';

/** Where a reconcile failed, the `phase` label of the failure counter. */
export const FAILURE_PHASES = ['fetch', 'synth', 'declaration', 'pulumi', 'apply', 'prune', 'status', 'addons'] as const;
export type FailurePhase = (typeof FAILURE_PHASES)[number];

/**
 * The reconciler's Prometheus metrics in a registry of its own (never the global one), so several
 * reconcilers in one process (tests) do not collide.
 */
export class ReconcilerMetrics {
  readonly registry = new Registry();
  /** Seconds per apply of one ManifestSet, by set and kind of pass (`revision` or `drift`). */
  readonly reconcileDuration: Histogram<'set' | 'pass'>;
  /** Objects handled, by set and ChangeSet action. */
  readonly objects: Counter<'set' | 'action'>;
  /** Objects found changed by hand (or deleted) and put back, by set. */
  readonly driftCorrections: Counter<'set'>;
  /** 1 for the revision last applied to each cluster (info-style gauge; the old series is removed on change). */
  readonly appliedRevision: Gauge<'stage' | 'cluster' | 'revision'>;
  /** Unix time of the last successful apply per set. */
  readonly lastSuccess: Gauge<'set'>;
  /** Failures by phase and set (`-` when no set is concerned, e.g. a failed fetch). */
  readonly failures: Counter<'phase' | 'set'>;
  /** 1 while this replica holds the leader lease. */
  readonly leader: Gauge;
  /** 1 for the revision fetched last from git. */
  readonly sourceRevision: Gauge<'revision'>;
  /** Seconds per `pulumi up` of the revision's stack (`--pulumi-stack`), by stack and result (succeeded, failed). */
  readonly stackUpDuration: Histogram<'stack' | 'result'>;
  /** Stack steps of new revisions, by stack and result (succeeded, failed, unchanged: no up was needed). */
  readonly stackUps: Counter<'stack' | 'result'>;
  /** Unix time of the last `pulumi up` that succeeded, by stack. */
  readonly stackLastSuccess: Gauge<'stack'>;
  private readonly revisionOf = new Map<string, { stage: string; revision: string }>();
  private fetched: string | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconcileDuration = new Histogram({
      name: 'clusterops_reconcile_duration_seconds',
      help: 'Time to plan, apply and prune one ManifestSet.',
      labelNames: ['set', 'pass'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.objects = new Counter({
      name: 'clusterops_objects_total',
      help: 'Objects handled by the reconciler, by ChangeSet action.',
      labelNames: ['set', 'action'],
      registers,
    });
    this.driftCorrections = new Counter({
      name: 'clusterops_drift_corrections_total',
      help: 'Managed objects changed or deleted outside clusterops and put back.',
      labelNames: ['set'],
      registers,
    });
    this.appliedRevision = new Gauge({
      name: 'clusterops_applied_revision_info',
      help: 'The git revision last applied to each workload cluster (value is always 1).',
      labelNames: ['stage', 'cluster', 'revision'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'clusterops_last_success_timestamp_seconds',
      help: 'Unix time of the last apply of a ManifestSet without errors.',
      labelNames: ['set'],
      registers,
    });
    this.failures = new Counter({
      name: 'clusterops_reconcile_failures_total',
      help: 'Failed reconcile steps, by phase.',
      labelNames: ['phase', 'set'],
      registers,
    });
    this.leader = new Gauge({ name: 'clusterops_leader', help: '1 while this replica holds the leader lease.', registers });
    this.sourceRevision = new Gauge({
      name: 'clusterops_source_revision_info',
      help: 'The git revision fetched last (value is always 1).',
      labelNames: ['revision'],
      registers,
    });
    this.stackUpDuration = new Histogram({
      name: 'clusterops_pulumi_up_duration_seconds',
      help: "Time of one pulumi up of the revision's stack (compile included), by result.",
      labelNames: ['stack', 'result'],
      buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.stackUps = new Counter({
      name: 'clusterops_pulumi_ups_total',
      help: "Stack steps of new revisions, by result (succeeded, failed, unchanged: the stack's inputs did not change, no up ran).",
      labelNames: ['stack', 'result'],
      registers,
    });
    this.stackLastSuccess = new Gauge({
      name: 'clusterops_pulumi_last_success_timestamp_seconds',
      help: 'Unix time of the last pulumi up that succeeded.',
      labelNames: ['stack'],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'clusterops_' });
  }

  /**
   * Exposes `clusterops_api_requests_total{verb}`: the requests this process sent to the management
   * API server (a watch counts once per connection), read from the client's counter when scraped.
   */
  countRequests(counter: { snapshot(): Record<string, number> }): void {
    new Counter({
      name: 'clusterops_api_requests_total',
      help: 'Requests sent to the management API server, by verb (a watch counts once per connection; retries as verb "retry").',
      labelNames: ['verb'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [verb, n] of Object.entries(counter.snapshot())) this.labels(verb).inc(n);
      },
    });
  }

  /** Records the outcome of one apply of a set. */
  recordApply(set: string, pass: 'revision' | 'drift', seconds: number, cs: ChangeSet, drift: number): void {
    this.reconcileDuration.labels(set, pass).observe(seconds);
    const counts = cs.counts();
    for (const [action, n] of Object.entries(counts) as Array<[Action, number]>) if (n > 0) this.objects.labels(set, action).inc(n);
    if (drift > 0) this.driftCorrections.labels(set).inc(drift);
    if (cs.errors.length === 0) this.lastSuccess.labels(set).set(Date.now() / 1000);
  }

  /** Records the stack step of a revision. */
  recordStackUp(report: StackUpReport): void {
    this.stackUps.labels(report.stack, report.result).inc();
    if (report.result === 'unchanged') return;
    this.stackUpDuration.labels(report.stack, report.result).observe(report.durationMs / 1000);
    if (report.result === 'succeeded') this.stackLastSuccess.labels(report.stack).set(Date.parse(report.at) / 1000);
    else this.recordFailure('pulumi');
  }

  /** Records that `revision` is now what a cluster runs. */
  setAppliedRevision(stage: string, cluster: string, revision: string): void {
    const key = `${stage}/${cluster}`;
    const old = this.revisionOf.get(key);
    if (old?.revision === revision) return;
    if (old) this.appliedRevision.remove(old.stage, cluster, old.revision);
    this.appliedRevision.labels(stage, cluster, revision).set(1);
    this.revisionOf.set(key, { stage, revision });
  }

  /** Records the revision the source fetched last. */
  setSourceRevision(revision: string): void {
    if (this.fetched === revision) return;
    if (this.fetched) this.sourceRevision.remove(this.fetched);
    this.sourceRevision.labels(revision).set(1);
    this.fetched = revision;
  }

  /** Counts one failure. */
  recordFailure(phase: FailurePhase, set = '-'): void {
    this.failures.labels(phase, set).inc();
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
