import path from 'node:path';
import type { Logger } from 'pino';
import { ChangeSet, type Action } from '../apply/change-set.js';
import { contentHash } from '../apply/content-hash.js';
import { refKey, refOf } from '../apply/object-ref.js';
import { ResourceManager } from '../apply/resource-manager.js';
import { KubeError, type KubeApi } from '../kube/client.js';
import { CLUSTER_LABEL, INVENTORY_NAMESPACE, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { addonHealth, type AddonHealth } from './addon-health.js';
import { admitRevision } from './admit-revision.js';
import { clusterNamespace, readDeclarations, withWorkloadClusters, type DeclaredCluster } from './declarations.js';
import { EventRecorder, type EventKind } from './events.js';
import type { FetchResult } from './git-source.js';
import type { FailurePhase, ReconcilerMetrics } from './metrics.js';
import type { NotificationSink } from './notifier.js';
import { StatusWriter, type ConditionInput, type Phase, type WorkloadClusterStatus } from './status.js';
import { SynthError, type SynthResult } from './synth-runner.js';
import { WorkloadAccessCache } from './workload-access.js';
import {
  workloadClusterCrd,
  RECONCILE_REQUEST_ANNOTATION,
  SUSPEND_ANNOTATION,
  WORKLOAD_CLUSTER_API_VERSION,
  WORKLOAD_CLUSTER_PLURAL,
} from '../charts/workload-cluster-crd.js';

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

/** Settings of a Reconciler. */
export interface ReconcilerOptions {
  source: RevisionSource;
  synthesizer: Synthesizer;
  /** The management cluster. */
  api: KubeApi;
  logger: Logger;
  metrics: ReconcilerMetrics;
  /** How often to fetch. @default 30000 */
  pollIntervalMs?: number;
  /** How often every set is re-planned against the live state, so hand edits are put back. @default pollIntervalMs */
  driftIntervalMs?: number;
  /** How often WorkloadClusters are read for suspend and reconcile-request annotations. @default 5000 */
  requestPollMs?: number;
  /** ManifestSets reconciled at once. @default 4 */
  concurrency?: number;
  /** First retry delay of a failing set; doubles per failure. @default 5000 */
  backoffBaseMs?: number;
  /** Longest retry delay. @default 300000 */
  backoffMaxMs?: number;
  /** Let prune delete more than half of a set (needed to remove a whole stage). @default false */
  allowMassPrune?: boolean;
  /** Namespace of the inventories in every cluster. @default clusterops-system */
  inventoryNamespace?: string;
  /** Told when a set or the source starts failing and when it works again. @default none */
  notifier?: NotificationSink;
}

/** What the reconciler knows about one ManifestSet. */
interface Target {
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
  /** Add-on sets: reachability and health. */
  waiting?: string;
  health?: AddonHealth;
  /**
   * Add-on sets whose kubeconfig Secret was missing: how often in a row, and when to read it again
   * (the drift interval, doubling per miss up to four drift intervals; a reconcile request or
   * runOnce reads it at once).
   */
  missingKubeconfig?: { misses: number; nextCheckAt: number };
}

/** What a pass does: fetch the branch, re-plan every set (drift), and whether it is a full pass that waits for nothing. */
interface PassRequest {
  fetch: boolean;
  drift: boolean;
  /** runOnce: also read the kubeconfig Secrets that were missing before, whatever their schedule. */
  full?: boolean;
}

/** Longest wait, in drift intervals, before a missing kubeconfig Secret is read again. */
const MISSING_KUBECONFIG_MAX_INTERVALS = 4;

/** A revision that synthesized. */
interface GoodRevision {
  revision: string;
  checkout: string;
  sets: Map<string, ManifestSet>;
  clusters: DeclaredCluster[];
}

/** Live facts about a WorkloadCluster object the reconciler reads back. */
interface LiveCluster {
  uid: string;
  suspended: boolean;
  requestedAt?: string;
}

/** The outcome of one pass, for `--once` and tests. */
export interface PassResult {
  revision?: string;
  /** A fetch or synth error, when the pass could not use the newest revision. */
  sourceError?: string;
  /** Sets applied in this pass, with their errors. */
  applied: Array<{ set: string; errors: string[]; counts: Record<Action, number> }>;
}

const clusterKey = (stage: string, name: string) => `${stage}/${name}`;

/**
 * The reconcile loop of the management cluster: fetch the branch, synthesize a new revision with
 * its own code, apply and prune each ManifestSet with the apply engine, re-plan every set on the
 * drift interval to put hand edits back, and report status, events and metrics. The last revision
 * that synthesized stays applied while a newer one fails; each set retries with its own
 * exponential backoff, and a failing set never holds up another.
 */
export class Reconciler {
  private readonly logger: Logger;
  private readonly rm: ResourceManager;
  private readonly status: StatusWriter;
  private readonly events: EventRecorder;
  private readonly workloads: WorkloadAccessCache;
  private readonly workloadManagers = new Map<KubeApi, ResourceManager>();
  private readonly targets = new Map<string, Target>();
  private readonly live = new Map<string, LiveCluster>();
  private good: GoodRevision | undefined;
  private failedRevision: { revision: string; error: string; phase: FailurePhase; at: number; failures: number } | undefined;
  /** The first revision rejected since the last one that synthesized, for the recovery notification. */
  private rejectedSince: string | undefined;
  private fetchError: string | undefined;
  private lastFetched: string | undefined;
  private crdInstalled = false;
  private running: Promise<void> | undefined;
  private wanted: { fetch: boolean; drift: boolean } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private abort: AbortSignal | undefined;
  private lastFetchAt = 0;
  private lastDriftAt = 0;
  private passes = 0;
  private readonly forced = new Set<string>();
  /** Sets a pass left undone because a newer revision pre-empted it, with the kind of pass they were due for. */
  private readonly carried = new Map<string, 'revision' | 'drift'>();

  constructor(private readonly o: ReconcilerOptions) {
    this.logger = o.logger;
    this.rm = new ResourceManager(o.api, { inventoryNamespace: o.inventoryNamespace });
    this.status = new StatusWriter(o.api);
    this.events = new EventRecorder(o.api, o.logger);
    this.workloads = new WorkloadAccessCache(o.api);
  }

  private get pollMs(): number {
    return this.o.pollIntervalMs ?? 30_000;
  }

  private get driftMs(): number {
    return this.o.driftIntervalMs ?? this.pollMs;
  }

  /** Whether at least one pass has finished (for /readyz). */
  get hasSynced(): boolean {
    return this.passes > 0;
  }

  /** The revision whose output is applied, if any. */
  get revision(): string | undefined {
    return this.good?.revision;
  }

  /** Starts the loop; it runs until `signal` aborts (the leader lease is lost) or stop() is called. */
  start(signal?: AbortSignal): void {
    this.abort = signal;
    this.status.reset();
    this.trigger({ fetch: true, drift: true });
    const tick = Math.max(250, Math.min(this.pollMs, this.driftMs, 5_000));
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        const fetch = now - this.lastFetchAt >= this.pollMs;
        const drift = now - this.lastDriftAt >= this.driftMs;
        if (fetch || drift) this.trigger({ fetch, drift });
      }, tick),
    );
    this.timers.push(setInterval(() => void this.pollRequests(), this.o.requestPollMs ?? 5_000));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Stops the timers and waits for a pass in progress to end. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.wanted = undefined;
    await this.running;
  }

  /** Closes connections to workload clusters. */
  close(): void {
    this.workloads.close();
  }

  /** Asks for a fetch now (a verified push notification). */
  requestFetch(): void {
    this.trigger({ fetch: true, drift: false });
  }

  /** Asks for a pass; passes never overlap, requests made during one are merged into the next. */
  trigger(what: PassRequest): void {
    if (this.abort?.aborted) return;
    this.wanted = { fetch: (this.wanted?.fetch ?? false) || what.fetch, drift: (this.wanted?.drift ?? false) || what.drift };
    if (this.running) return;
    this.running = (async () => {
      while (this.wanted && !this.abort?.aborted) {
        const w = this.wanted;
        this.wanted = undefined;
        try {
          await this.pass(w);
        } catch (error) {
          this.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'reconcile pass failed');
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Runs one full pass (fetch, synth, apply every set) and resolves with what it did; for `--once` and tests. */
  async runOnce(): Promise<PassResult> {
    await this.running;
    return this.pass({ fetch: true, drift: true, full: true });
  }

  /** Whether a pass should stop taking sets: a fetch was asked for (a push) and this pass does not fetch. */
  private preempted(what: PassRequest): boolean {
    return !what.fetch && !what.full && this.wanted?.fetch === true;
  }

  private async pass(what: PassRequest): Promise<PassResult> {
    const started = Date.now();
    const result: PassResult = { applied: [] };
    if (!this.crdInstalled) {
      await this.rm.ensureCrds([workloadClusterCrd()]);
      this.crdInstalled = true;
    }
    let newRevision = false;
    if (what.fetch) {
      this.lastFetchAt = Date.now();
      newRevision = await this.fetchAndSynth();
    }
    if (what.drift) this.lastDriftAt = Date.now();
    result.revision = this.good?.revision;
    result.sourceError = this.fetchError ?? (this.failedRevision?.revision === this.lastFetched ? this.failedRevision?.error : undefined);
    await this.readLiveClusters();

    const now = Date.now();
    const due = [...this.targets.entries()].filter(([id, t]) => {
      if (this.forced.has(id) || this.carried.has(id)) return true;
      if (t.failures > 0) return now >= t.nextAttemptAt;
      // A missing kubeconfig Secret is read again on its own schedule, not on every pass.
      if (t.missingKubeconfig && !what.full && now < t.missingKubeconfig.nextCheckAt) return false;
      return what.drift || t.appliedHash !== t.hash || (newRevision && t.appliedHash === undefined);
    });
    const kindOf = (id: string, t: Target): 'revision' | 'drift' =>
      t.appliedHash !== t.hash ? 'revision' : (this.carried.get(id) ?? (what.drift ? 'drift' : 'revision'));
    const kinds = new Map(due.map(([id, t]) => [id, kindOf(id, t)]));
    this.carried.clear();
    // Unchanged sets are already at the new revision.
    if (newRevision) {
      for (const t of this.targets.values()) {
        if (t.appliedHash !== t.hash || t.failures > 0 || t.appliedRevision === this.good?.revision) continue;
        t.appliedRevision = this.good?.revision;
        t.appliedAt = isoNow();
      }
    }
    this.forced.clear();
    // Changed content first, management sets before add-on sets: a commit shows up before drift checks run.
    const rank = (id: string, t: Target) => (t.appliedHash !== t.hash ? 0 : 2) + Number(id.startsWith('addons.'));
    due.sort(([a, ta], [b, tb]) => rank(a, ta) - rank(b, tb) || (a < b ? -1 : 1));

    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.abort?.aborted && !this.preempted(what)) {
        const [id, target] = due[next++];
        const r = await this.reconcileTarget(id, target, kinds.get(id)!);
        if (r) result.applied.push(r);
        // The clusters of a management set report the revision as soon as it is applied, not at the end of the pass.
        if (r && target.set.target.kind === 'management') await this.writeStatuses(target.set.target.stage);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.o.concurrency ?? 4, due.length)) }, worker));
    // A push arrived: the sets not started yet wait for the next pass, which fetches first.
    for (const [id] of due.slice(next)) if (this.targets.has(id)) this.carried.set(id, kinds.get(id)!);
    if (newRevision) await this.pruneOrphanedSets(result);
    await this.writeStatuses();
    this.passes++;
    this.logger.debug(
      { fetch: what.fetch, drift: what.drift, newRevision, due: due.length, done: next, carried: this.carried.size, ms: Date.now() - started },
      this.carried.size > 0 ? 'pass pre-empted by a push' : 'pass done',
    );
    return result;
  }

  /** Fetches; on a new revision, checks it out and synthesizes it. Resolves whether a new good revision was taken. */
  private async fetchAndSynth(): Promise<boolean> {
    let fetched: FetchResult;
    try {
      fetched = await this.o.source.fetch();
      if (this.fetchError) {
        this.logger.info({ url: this.o.source.displayUrl }, 'fetch works again');
        this.o.notifier?.notify({ event: 'recovery', subject: 'source', revision: fetched.revision, message: `fetching ${this.o.source.displayUrl} works again` });
      }
      this.fetchError = undefined;
    } catch (error) {
      const first = this.fetchError === undefined;
      this.fetchError = `fetch failed: ${error instanceof Error ? error.message : String(error)}`;
      if (first) this.o.notifier?.notify({ event: 'failure', subject: 'source', phase: 'fetch', message: this.fetchError });
      this.o.metrics.recordFailure('fetch');
      this.logger.error({ url: this.o.source.displayUrl, err: this.fetchError }, 'fetch failed; the last good revision stays applied');
      return false;
    }
    this.lastFetched = fetched.revision;
    this.o.metrics.setSourceRevision(fetched.revision);
    if (fetched.revision === this.good?.revision) return false;
    const failed = this.failedRevision;
    if (failed?.revision === fetched.revision && Date.now() < failed.at + this.backoff(failed.failures)) return false;

    const log = this.logger.child({ revision: fetched.revision.slice(0, 12) });
    log.info('new revision; synthesizing');
    const t0 = Date.now();
    let checkout: string;
    let synth: SynthResult;
    let clusters: DeclaredCluster[];
    try {
      checkout = await this.o.source.checkout(fetched.revision, this.good ? [this.good.revision] : []);
      synth = await this.o.synthesizer.synth(checkout);
      await admitRevision(checkout, synth.sets);
      const declared = await readDeclarations(path.join(checkout, 'clusters'));
      const sets = new Map(synth.sets.map((s) => [s.id, s]));
      clusters = declared.map((d) => ({ ...d, namespace: clusterNamespace(sets.get(`management.${d.stage}`), d.stage, d.name) }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const phase: FailurePhase = 'synth';
      const failures = failed?.revision === fetched.revision ? failed.failures + 1 : 1;
      this.failedRevision = { revision: fetched.revision, error: message, phase, at: Date.now(), failures };
      this.rejectedSince ??= fetched.revision;
      this.o.metrics.recordFailure(phase);
      log.error({ phase: error instanceof SynthError ? error.phase : 'checkout', err: message }, 'revision rejected; the last good revision stays applied');
      if (failures === 1) {
        this.o.notifier?.notify({ event: 'failure', subject: 'source', phase, revision: fetched.revision, message: `revision ${fetched.revision.slice(0, 12)} rejected; the last good revision stays applied: ${message}` });
      }
      for (const c of this.good?.clusters ?? []) {
        await this.emit(c, 'failed', `revision ${fetched.revision.slice(0, 12)} rejected: ${firstLine(message)}`);
      }
      return false;
    }
    if (this.rejectedSince) {
      this.o.notifier?.notify({ event: 'recovery', subject: 'source', revision: fetched.revision, message: `revision ${fetched.revision.slice(0, 12)} synthesizes again` });
    }
    this.rejectedSince = undefined;
    this.failedRevision = undefined;
    log.info({ sets: synth.sets.length, clusters: clusters.length, ms: Date.now() - t0, timings: synth.timings }, 'revision synthesized');

    const byStage = new Map<string, DeclaredCluster[]>();
    for (const c of clusters) byStage.set(c.stage, [...(byStage.get(c.stage) ?? []), c]);
    const sets = new Map<string, ManifestSet>();
    for (const s of synth.sets) {
      const set = s.target.kind === 'management' ? withWorkloadClusters(s, byStage.get(s.target.stage) ?? []) : s;
      sets.set(set.id, set);
    }
    // A stage with clusters but no management set of its own still needs its WorkloadCluster objects.
    for (const [stage, list] of byStage) {
      const id = `management.${stage}`;
      if (!sets.has(id)) sets.set(id, withWorkloadClusters({ id, target: { kind: 'management', stage }, objects: [] }, list));
    }
    this.good = { revision: fetched.revision, checkout, sets, clusters };
    for (const [id, set] of sets) {
      const hash = contentHash(set.objects);
      const t = this.targets.get(id);
      if (!t) this.targets.set(id, { set, hash, failures: 0, nextAttemptAt: 0 });
      else {
        if (t.hash !== hash) {
          t.failures = 0;
          t.nextAttemptAt = 0;
        }
        t.set = set;
        t.hash = hash;
      }
    }
    for (const id of [...this.targets.keys()]) if (!sets.has(id)) this.targets.delete(id);
    return true;
  }

  private backoff(failures: number): number {
    const base = this.o.backoffBaseMs ?? 5_000;
    const ceiling = Math.min(this.o.backoffMaxMs ?? 300_000, base * 2 ** Math.max(0, failures - 1));
    return ceiling * (0.8 + Math.random() * 0.2);
  }

  /** Lists WorkloadClusters once: suspension and reconcile requests. */
  private async readLiveClusters(): Promise<void> {
    interface Item {
      metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string> };
      spec?: { suspend?: boolean };
    }
    let items: Item[];
    try {
      items = (await this.o.api.request<{ items: Item[] }>({ verb: 'list', method: 'GET', path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/${WORKLOAD_CLUSTER_PLURAL}` })).body.items;
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not list WorkloadClusters');
      return;
    }
    const seen = new Set<string>();
    for (const item of items) {
      const stage = item.metadata.labels?.['clusterops.io/stage'];
      if (!stage) continue;
      const key = clusterKey(stage, item.metadata.name);
      seen.add(key);
      const annotations = item.metadata.annotations ?? {};
      const requestedAt = annotations[RECONCILE_REQUEST_ANNOTATION];
      const prev = this.live.get(key);
      if (prev && requestedAt !== undefined && requestedAt !== prev.requestedAt) {
        this.forced.add(`management.${stage}`);
        this.forced.add(`addons.${stage}.${item.metadata.name}`);
      }
      this.live.set(key, { uid: item.metadata.uid, suspended: item.spec?.suspend === true || annotations[SUSPEND_ANNOTATION] === 'true', requestedAt });
    }
    for (const key of [...this.live.keys()]) if (!seen.has(key)) this.live.delete(key);
  }

  /** Checks for reconcile requests between passes, and starts a pass when there is one. */
  private async pollRequests(): Promise<void> {
    if (this.running || this.abort?.aborted || !this.crdInstalled) return;
    await this.readLiveClusters();
    if (this.forced.size > 0) this.trigger({ fetch: false, drift: false });
  }

  private suspended(stage: string, cluster: string): boolean {
    return this.live.get(clusterKey(stage, cluster))?.suspended ?? false;
  }

  /** The set to apply: suspended clusters' objects stay as last applied. */
  private effectiveSet(target: Target): ManifestSet {
    const set = target.set;
    if (set.target.kind !== 'management') return set;
    const stage = set.target.stage;
    const held = new Set(
      set.objects.map((o) => o.metadata.labels?.[CLUSTER_LABEL]).filter((c): c is string => !!c && this.suspended(stage, c)),
    );
    if (held.size === 0 || !target.appliedSet) return set;
    const isHeld = (o: KubeObject) => o.kind !== 'WorkloadCluster' && held.has(o.metadata.labels?.[CLUSTER_LABEL] ?? '');
    return { ...set, objects: [...set.objects.filter((o) => !isHeld(o)), ...target.appliedSet.objects.filter(isHeld)] };
  }

  private async reconcileTarget(id: string, target: Target, pass: 'revision' | 'drift'): Promise<PassResult['applied'][number] | undefined> {
    const set = target.set;
    const log = this.logger.child({ set: id, pass });
    let rm = this.rm;
    if (set.target.kind === 'workload') {
      const { stage, cluster } = set.target;
      if (this.suspended(stage, cluster)) {
        target.waiting = 'suspended';
        return undefined;
      }
      const declared = this.good?.clusters.find((c) => c.stage === stage && c.name === cluster);
      try {
        const access = await this.workloads.access(declared?.namespace ?? stage, cluster);
        if (!access.ok) {
          target.waiting = access.message;
          if (access.reason === 'NoKubeconfig') {
            const misses = (target.missingKubeconfig?.misses ?? 0) + 1;
            const wait = this.driftMs * Math.min(2 ** (misses - 1), MISSING_KUBECONFIG_MAX_INTERVALS);
            target.missingKubeconfig = { misses, nextCheckAt: Date.now() + wait };
          } else target.missingKubeconfig = undefined;
          if (access.reason === 'BadKubeconfig') this.fail(target, id, 'addons', access.message);
          return undefined;
        }
        target.missingKubeconfig = undefined;
        target.waiting = undefined;
        rm = this.workloadManager(access.api);
      } catch (error) {
        this.fail(target, id, 'addons', error instanceof Error ? error.message : String(error));
        return undefined;
      }
    }
    const effective = this.effectiveSet(target);
    const t0 = Date.now();
    let cs: ChangeSet;
    try {
      // Git wins: fields someone took over by hand (kubectl edit) are taken back.
      cs = await rm.apply(effective, { prune: true, force: true, allowMassPrune: this.o.allowMassPrune });
    } catch (error) {
      cs = new ChangeSet();
      cs.fail(id, error instanceof Error ? error.message : String(error));
    }
    const seconds = (Date.now() - t0) / 1000;
    const counts = cs.counts();
    const contentChanged = target.appliedHash !== target.hash;
    const drift = !contentChanged && pass === 'drift' ? counts.created + counts.configured : 0;
    this.o.metrics.recordApply(id, pass, seconds, cs, drift);
    target.lastCounts = { ...counts, errors: cs.errors.length };
    const errors = cs.errors.map((e) => e.message);
    const wasFailing = target.failures > 0;
    const previous = target.appliedSet;
    if (errors.length === 0) {
      target.failures = 0;
      target.nextAttemptAt = 0;
      target.lastError = undefined;
      target.appliedHash = target.hash;
      target.appliedSet = effective;
      if (target.appliedRevision !== this.good?.revision || cs.hasChanges) target.appliedAt = isoNow();
      target.appliedRevision = this.good?.revision;
      if (set.target.kind === 'workload' && (cs.hasChanges || target.health?.ready !== target.health?.total || !target.health)) {
        target.health = await addonHealth(rm, set).catch(() => undefined);
      }
    } else {
      this.fail(target, id, cs.errors.some((e) => /prune/i.test(e.message)) ? 'prune' : 'apply', errors.join('; '));
    }
    if (cs.hasChanges || errors.length > 0 || counts.skipped > 0) {
      log.info({ seconds, ...counts, errors: errors.length, drift }, errors.length ? 'set applied with errors' : 'set applied');
    } else {
      log.debug({ seconds }, 'set unchanged');
    }
    if (wasFailing && errors.length === 0) {
      this.o.notifier?.notify({ event: 'recovery', subject: id, revision: this.good?.revision, message: `${id} applies again at revision ${this.good?.revision.slice(0, 12) ?? ''}` });
    }
    await this.reportChangeSet(target, previous, cs, { drift, recovered: wasFailing && errors.length === 0 });
    return { set: id, errors, counts };
  }

  private fail(target: Target, id: string, phase: FailurePhase, message: string): void {
    target.failures++;
    if (target.failures === 1) this.o.notifier?.notify({ event: 'failure', subject: id, phase, revision: this.good?.revision, message });
    target.lastError = message;
    target.nextAttemptAt = Date.now() + this.backoff(target.failures);
    this.o.metrics.recordFailure(phase, id);
    this.logger.error({ set: id, phase, failures: target.failures, retryInMs: target.nextAttemptAt - Date.now(), err: message }, 'set failed');
  }

  private workloadManager(api: KubeApi): ResourceManager {
    let rm = this.workloadManagers.get(api);
    if (!rm) {
      rm = new ResourceManager(api, { inventoryNamespace: this.o.inventoryNamespace ?? INVENTORY_NAMESPACE });
      this.workloadManagers.set(api, rm);
    }
    return rm;
  }

  /** Events for what a ChangeSet did, on the WorkloadCluster each object belongs to (or the object itself). */
  private async reportChangeSet(target: Target, previous: ManifestSet | undefined, cs: ChangeSet, extra: { drift: number; recovered: boolean }): Promise<void> {
    // Pruned objects are only in the set applied before.
    const objects = new Map<string, KubeObject>();
    for (const o of [...(previous?.objects ?? []), ...target.set.objects]) objects.set(refKey(refOf(o)), o);
    const stage = target.set.target.stage;
    const ownerOf = (key: string): DeclaredCluster | undefined => {
      const cluster =
        target.set.target.kind === 'workload' ? target.set.target.cluster : objects.get(key)?.metadata.labels?.[CLUSTER_LABEL];
      return cluster ? this.good?.clusters.find((c) => c.stage === stage && c.name === cluster) : undefined;
    };
    const groups = new Map<string, { owner?: DeclaredCluster; subject?: KubeObject; lines: Record<EventKind, string[]> }>();
    const add = (key: string, kind: EventKind, line: string) => {
      const owner = ownerOf(key);
      const gkey = owner ? clusterKey(owner.stage, owner.name) : key;
      let g = groups.get(gkey);
      if (!g) {
        g = { owner, subject: owner ? undefined : objects.get(key), lines: { applied: [], pruned: [], skipped: [], drift: [], failed: [], recovered: [], suspended: [] } };
        groups.set(gkey, g);
      }
      g.lines[kind].push(line);
    };
    for (const e of cs.entries) {
      const key = refKey(e);
      const name = `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
      if (e.action === 'created' || e.action === 'configured') add(key, extra.drift > 0 ? 'drift' : 'applied', `${name} ${e.action}`);
      else if (e.action === 'deleted') add(key, 'pruned', `${name} deleted`);
      else if (e.action === 'skipped') add(key, 'skipped', `${name} kept: ${e.reason ?? 'protected'}`);
    }
    const failedOwners = new Set<DeclaredCluster | undefined>();
    for (const e of cs.errors) {
      if (e.object) add(refKey(e.object), 'failed', e.message);
      else failedOwners.add(undefined);
    }
    const clustersOfSet =
      target.set.target.kind === 'workload'
        ? (this.good?.clusters ?? []).filter((c) => c.stage === stage && c.name === (target.set.target as { cluster: string }).cluster)
        : (this.good?.clusters ?? []).filter((c) => c.stage === stage);
    const setErrors = cs.errors.filter((e) => !e.object).map((e) => e.message);
    const revision = this.good?.revision.slice(0, 12) ?? '';
    const writes: Array<Promise<void>> = [];
    for (const g of groups.values()) {
      const subject = g.owner
        ? { namespace: g.owner.namespace, name: g.owner.name, uid: this.live.get(clusterKey(g.owner.stage, g.owner.name))?.uid }
        : g.subject
          ? { apiVersion: g.subject.apiVersion, kind: g.subject.kind, namespace: g.subject.metadata.namespace ?? 'default', name: g.subject.metadata.name }
          : undefined;
      if (!subject) continue;
      for (const [kind, lines] of Object.entries(g.lines) as Array<[EventKind, string[]]>) {
        if (lines.length === 0) continue;
        const head = kind === 'applied' ? `revision ${revision}: ` : kind === 'drift' ? 'put back after a change outside git: ' : '';
        writes.push(this.events.record(subject, kind, `${head}${summarize(lines)}`));
      }
    }
    for (const c of clustersOfSet) {
      if (setErrors.length > 0) writes.push(this.emit(c, 'failed', `${target.set.id}: ${summarize(setErrors)}`));
      if (extra.recovered) writes.push(this.emit(c, 'recovered', `${target.set.id} applies again at revision ${revision}`));
    }
    await Promise.all(writes);
  }

  private emit(c: DeclaredCluster, kind: EventKind, message: string): Promise<void> {
    return this.events.record({ namespace: c.namespace, name: c.name, uid: this.live.get(clusterKey(c.stage, c.name))?.uid }, kind, message);
  }

  /** Management sets applied before whose stage is gone: prune them (mass-prune protection applies). */
  private async pruneOrphanedSets(result: PassResult): Promise<void> {
    const namespace = this.o.inventoryNamespace ?? INVENTORY_NAMESPACE;
    let names: string[];
    try {
      const list = await this.o.api.request<{ items: Array<{ metadata: { name: string } }> }>({
        verb: 'list',
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        query: { labelSelector: 'applyset.kubernetes.io/id' },
      });
      names = list.body.items.map((i) => i.metadata.name);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return;
      throw error;
    }
    for (const name of names) {
      const id = name.replace(/^applyset-/, '');
      if (!id.startsWith('management.') || this.targets.has(id)) continue;
      const stage = id.slice('management.'.length);
      const cs = await this.rm
        .apply({ id, target: { kind: 'management', stage }, objects: [] }, { prune: true, allowMassPrune: this.o.allowMassPrune })
        .catch((error: unknown) => {
          const c = new ChangeSet();
          c.fail(id, error instanceof Error ? error.message : String(error));
          return c;
        });
      this.o.metrics.recordApply(id, 'revision', 0, cs, 0);
      if (cs.errors.length > 0) this.o.metrics.recordFailure('prune', id);
      this.logger.info({ set: id, ...cs.counts(), errors: cs.errors.map((e) => e.message) }, 'stage no longer declared; pruned its set');
      result.applied.push({ set: id, errors: cs.errors.map((e) => e.message), counts: cs.counts() });
    }
  }

  /** Writes the status of every declared cluster, or of one stage's (only what changed goes out). */
  private async writeStatuses(stage?: string): Promise<void> {
    const good = this.good;
    if (!good) return;
    await Promise.all(
      good.clusters.filter((c) => stage === undefined || c.stage === stage).map(async (c) => {
        const status = this.statusOf(c, good);
        for (const [stage, name, revision] of status.revision ? [[c.stage, c.name, status.revision]] : []) {
          this.o.metrics.setAppliedRevision(stage, name, revision);
        }
        try {
          await this.status.write({ namespace: c.namespace, name: c.name }, status);
        } catch (error) {
          this.o.metrics.recordFailure('status', `management.${c.stage}`);
          this.logger.warn({ cluster: c.name, err: error instanceof Error ? error.message : String(error) }, 'could not write status');
        }
      }),
    );
  }

  /** The status of one cluster, from its stage's management set and its own add-on set. */
  private statusOf(c: DeclaredCluster, good: GoodRevision): WorkloadClusterStatus {
    const mgmt = this.targets.get(`management.${c.stage}`);
    const addons = this.targets.get(`addons.${c.stage}.${c.name}`);
    const suspended = this.suspended(c.stage, c.name);
    const rejected = this.failedRevision && this.failedRevision.revision === this.lastFetched ? this.failedRevision : undefined;
    const errors = [this.fetchError, rejected ? `revision ${rejected.revision.slice(0, 12)} rejected: ${rejected.error}` : undefined, mgmt?.lastError, addons?.lastError].filter(
      (e): e is string => !!e,
    );
    const inSync = (t: Target | undefined) => !t || (t.appliedHash === t.hash && !t.lastError);
    const mgmtSynced = inSync(mgmt);
    const addonsApplied = !addons || (inSync(addons) && !addons.waiting);
    const revision = mgmtSynced && addonsApplied ? good.revision : (mgmt?.appliedRevision ?? undefined);

    const synced: ConditionInput = this.fetchError
      ? { type: 'Synced', status: 'False', reason: 'FetchFailed', message: this.fetchError }
      : rejected
        ? { type: 'Synced', status: 'False', reason: 'RevisionRejected', message: errors[0] }
        : mgmt?.lastError
          ? { type: 'Synced', status: 'False', reason: 'ApplyFailed', message: mgmt.lastError }
          : mgmtSynced
            ? { type: 'Synced', status: 'True', reason: 'Applied', message: `revision ${good.revision} applied` }
            : { type: 'Synced', status: 'Unknown', reason: 'Progressing', message: 'not applied yet' };
    const health = addons?.health;
    const addonsReady: ConditionInput = !addons
      ? { type: 'AddonsReady', status: 'True', reason: 'NoAddons', message: 'no add-ons declared' }
      : addons.waiting === 'suspended'
        ? { type: 'AddonsReady', status: 'Unknown', reason: 'Suspended', message: 'reconciling is suspended' }
        : addons.waiting
          ? { type: 'AddonsReady', status: 'False', reason: 'WaitingForKubeconfig', message: addons.waiting }
          : addons.lastError
            ? { type: 'AddonsReady', status: 'False', reason: 'ApplyFailed', message: addons.lastError }
            : health && health.ready === health.total
              ? { type: 'AddonsReady', status: 'True', reason: 'Healthy', message: `${health.ready}/${health.total} add-on objects ready` }
              : { type: 'AddonsReady', status: 'False', reason: 'NotReady', message: health ? `${health.ready}/${health.total} ready: ${health.notReady.join('; ')}` : 'not applied yet' };
    const ready = synced.status === 'True' && addonsReady.status === 'True';
    const phase: Phase = suspended
      ? 'Suspended'
      : ready
        ? 'Ready'
        : errors.length > 0
          ? revision
            ? 'Degraded'
            : 'Failed'
          : revision
            ? 'Progressing'
            : 'Pending';
    const counts: Record<string, number> = {};
    for (const t of [mgmt, addons]) for (const [k, v] of Object.entries(t?.lastCounts ?? {})) counts[k] = (counts[k] ?? 0) + v;
    return {
      phase,
      ...(revision ? { revision } : {}),
      attemptedRevision: this.lastFetched ?? good.revision,
      ...(mgmt?.appliedAt ? { lastAppliedTime: mgmt.appliedAt } : {}),
      ...(errors.length > 0 ? { lastError: errors.join('\n') } : {}),
      ...(Object.keys(counts).length > 0 ? { lastChangeSet: counts } : {}),
      ...(health ? { addons: { ready: health.ready, total: health.total, ...(health.notReady.length ? { message: health.notReady.join('; ') } : {}) } } : {}),
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Ready' : suspended ? 'Suspended' : (synced.status !== 'True' ? synced.reason : addonsReady.reason), message: ready ? 'applied and healthy' : (synced.status !== 'True' ? synced.message : addonsReady.message) },
        synced,
        addonsReady,
      ],
    };
  }
}

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

function summarize(lines: string[], max = 10): string {
  const shown = lines.slice(0, max).join('; ');
  return lines.length > max ? `${shown}; and ${lines.length - max} more` : shown;
}
