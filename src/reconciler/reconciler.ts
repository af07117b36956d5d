/**
 * The reconcile loop of the management cluster: take the newest revision (revisions.ts), apply and
 * prune each ManifestSet (set-applier.ts), re-plan every set on the drift interval to put hand
 * edits back, prune stages no longer declared (orphan-prune.ts), and write each cluster's status
 * (cluster-status.ts). The last revision that synthesized stays applied while a newer one fails;
 * each set retries with its own backoff, and a failing set never holds up another.
 */
import type { Logger } from 'pino';
import type { Action } from '../apply/change-set.js';
import { Inventory } from '../apply/inventory.js';
import { LiveCache, type Drift } from '../apply/live-cache.js';
import { ResourceManager } from '../apply/resource-manager.js';
import { workloadClusterCrd } from '../charts/workload-cluster-crd.js';
import { KubeClient, type KubeApi } from '../kube/client.js';
import { addonSetId, INVENTORY_NAMESPACE, managementSetId } from '../model/manifest-set.js';
import { summarize } from './change-set-events.js';
import { ClusterApiClusters } from './cluster-api-clusters.js';
import { ClusterRequests } from './cluster-requests.js';
import { RebuildHold } from './rebuild-hold.js';
import { clusterFacts } from './cluster-facts.js';
import { clusterStatus, heldLine, removedStatus, type StatusFacts } from './cluster-status.js';
import type { DeclaredCluster } from './declared-clusters.js';
import { EventRecorder } from './events.js';
import type { ReconcilerMetrics } from './metrics.js';
import type { NotificationSink } from './notifier.js';
import { leftOfOrphanedStage, pruneOrphanedSets } from './orphan-prune.js';
import { Revisions, type GoodRevision, type RevisionSource, type StackStep, type Synthesizer } from './revisions.js';
import { SetApplier } from './set-applier.js';
import { StatusWriter, type HistoryEntry, type WorkloadClusterStatus } from './status.js';
import { blockedStagesOf, type HeldCluster } from './held-declarations.js';
import { isBlocked, type BlockedDeclaration } from '../model/blocked-declaration.js';
import { backoffMs, inSync, isoNow, syncTargets, type Target } from './target.js';

export type { RevisionSource, Synthesizer } from './revisions.js';

/** Settings of a Reconciler. */
/**
 * How often a management set whose objects are all watched is checked by a full plan anyway (a
 * resync, as controllers do): between those, its watches tell of any change made by someone else.
 */
const RESYNC_MS = 10 * 60_000;

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
  /** `pulumi up` of the revision's stack before its sets are applied (`--pulumi-stack`). @default none */
  stack?: StackStep;
}

/** What a pass does: fetch the branch, re-plan every set (drift), and whether it is a full pass that waits for nothing. */
interface PassRequest {
  fetch: boolean;
  drift: boolean;
  /** runOnce: also read the kubeconfig Secrets that were missing before, whatever their schedule. */
  full?: boolean;
}

/** The outcome of one pass, for `--once` and tests. */
export interface PassResult {
  revision?: string;
  /** A fetch or synth error, when the pass could not use the newest revision. */
  sourceError?: string;
  /** Sets applied in this pass, with their errors. */
  applied: Array<{ set: string; errors: string[]; counts: Record<Action, number> }>;
}

/** The reconcile loop; see the file comment. */
export class Reconciler {
  private readonly logger: Logger;
  private readonly rm: ResourceManager;
  private readonly status: StatusWriter;
  private readonly events: EventRecorder;
  private readonly requests: ClusterRequests;
  private readonly rebuildHold: RebuildHold;
  private readonly revisions: Revisions;
  private readonly applier: SetApplier;
  private readonly targets = new Map<string, Target>();
  /** Cluster API's Clusters, watched when the management client can watch. */
  private readonly clusterApi: ClusterApiClusters | undefined;
  private clusterApiStarted = false;
  /** Status writes outside passes (a Cluster changed), one after another. */
  private statusQueue: Promise<void> = Promise.resolve();
  private crdInstalled = false;
  private running: Promise<void> | undefined;
  private wanted: { fetch: boolean; drift: boolean } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private abort: AbortSignal | undefined;
  private lastFetchAt = 0;
  private lastDriftAt = 0;
  private passes = 0;
  /** Orphaned management sets (stage no longer declared) whose prune failed or was refused, with the error. */
  private readonly orphanErrors = new Map<string, string>();
  /** What status said of each cluster's revision and history when this process last wrote it. */
  private readonly reported = new Map<string, { revision?: string; history?: HistoryEntry[] }>();
  /** Sets a pass left undone because a newer revision pre-empted it, with the kind of pass they were due for. */
  private readonly carried = new Map<string, 'revision' | 'drift'>();
  /** The management cluster's managed objects, watched (KubeClient only): drift is seen as it happens, and plans list nothing. */
  private liveCache: LiveCache | undefined;
  /** Management sets a watch saw changed by someone else, to put back now. */
  private readonly drifted = new Set<string>();
  /** When each set was last checked for drift by a full plan, although its watches were current. */
  private readonly resyncedAt = new Map<string, number>();
  /** The ApplySet id of each set id (the part-of label of its members). */
  private readonly partOfIds = new Map<string, string>();

  constructor(private readonly o: ReconcilerOptions) {
    this.logger = o.logger;
    const inventoryNamespace = o.inventoryNamespace ?? INVENTORY_NAMESPACE;
    this.rm = new ResourceManager(o.api, { inventoryNamespace, prerequisiteCrds: [workloadClusterCrd()] });
    this.status = new StatusWriter(o.api);
    this.events = new EventRecorder(o.api, o.logger);
    // A reconcile request fetches the source first, as `flux reconcile --with-source` does; a resume applies at once.
    this.requests = new ClusterRequests(o.api, o.logger, ({ fetch }) => this.trigger({ fetch, drift: false }));
    this.rebuildHold = new RebuildHold(o.api, o.logger);
    const backoff = (failures: number) => backoffMs(failures, o.backoffBaseMs ?? 5_000, o.backoffMaxMs ?? 300_000);
    this.revisions = new Revisions({ source: o.source, synthesizer: o.synthesizer, logger: o.logger, metrics: o.metrics, notifier: o.notifier, stack: o.stack, backoff });
    this.applier = new SetApplier({
      rm: this.rm,
      managementApi: o.api,
      requests: this.requests,
      events: this.events,
      logger: o.logger,
      metrics: o.metrics,
      notifier: o.notifier,
      inventoryNamespace,
      driftMs: () => this.driftMs,
      backoff,
      allowMassPrune: o.allowMassPrune,
      clusterWatched: (namespace, name) => this.clusterApiStarted && !!this.clusterApi?.facts(namespace, name),
    });
    if (o.api instanceof KubeClient) this.clusterApi = new ClusterApiClusters(o.api, o.logger, (namespace, name) => this.onClusterChanged(namespace, name));
  }

  /**
   * Cluster API changed a Cluster: its WorkloadCluster's status is written again now, and an add-on
   * set waiting for the kubeconfig Secret is looked at now instead of on its back-off schedule.
   */
  private onClusterChanged(namespace: string, name: string): void {
    const c = this.revisions.good?.clusters.find((d) => d.namespace === namespace && d.name === name);
    if (!c || this.abort?.aborted) return;
    const addons = this.targets.get(addonSetId(c.stage, c.name));
    if (addons?.missingKubeconfig) {
      addons.missingKubeconfig.nextCheckAt = 0;
      this.trigger({ fetch: false, drift: false });
    }
    this.statusQueue = this.statusQueue.then(() => this.writeStatuses(c.stage));
  }

  /** A watch saw a managed object changed or deleted by someone else: its set is put back now, not at the next interval. */
  private onDrift(d: Drift): void {
    if (this.abort?.aborted) return;
    for (const [id, t] of this.targets) {
      if (t.set.target.kind !== 'management' || this.partOfId(id) !== d.partOf) continue;
      this.logger.debug({ set: id, object: d.key, what: d.what }, 'a managed object was changed outside git');
      this.drifted.add(id);
      this.trigger({ fetch: false, drift: false });
    }
  }

  private partOfId(setId: string): string {
    let id = this.partOfIds.get(setId);
    if (!id) this.partOfIds.set(setId, (id = Inventory.empty(setId, this.rm.inventoryNamespace).id));
    return id;
  }

  /**
   * Whether a periodic drift check of a set can be left out: it is a management set at its newest
   * content, every kind of it is watched and current (a change by someone else would have been
   * told, onDrift), and a full check of it ran within RESYNC_MS.
   */
  private watchedAtRest(id: string, t: Target, now: number): boolean {
    if (!this.liveCache || t.set.target.kind !== 'management' || t.appliedHash !== t.hash || t.lastError) return false;
    if (!this.liveCache.current(this.partOfId(id))) return false;
    const last = this.resyncedAt.get(id);
    if (last === undefined || now - last >= RESYNC_MS) {
      this.resyncedAt.set(id, now);
      return false;
    }
    return true;
  }

  /** Starts the watch of Cluster API's Clusters once, and waits (boundedly) for its first list, so the first statuses know them. */
  private async watchClusterApi(): Promise<void> {
    if (!this.clusterApi || this.clusterApiStarted) return;
    this.clusterApiStarted = true;
    await this.clusterApi.start().ready(5_000);
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

  /** How far the newest good revision is applied: sets at it, all sets, and the failing ones with their first error line. */
  progress(): { revision?: string; applied: number; total: number; failing: string[] } {
    const targets = [...this.targets.entries()];
    const failing = targets.filter(([, t]) => t.lastError).map(([id, t]) => `${id}: ${t.lastError!.split('\n')[0].slice(0, 200)}`);
    failing.push(...[...this.orphanErrors.entries()].map(([id, e]) => `${id}: ${e.split('\n')[0].slice(0, 200)}`));
    return { revision: this.revisions.good?.revision, applied: targets.filter(([, t]) => inSync(t)).length, total: targets.length, failing };
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
    // Watched, requests are told as they are made; otherwise they are polled.
    this.requests.start();
    // A reconciler that runs for long watches what it manages (a single pass, runOnce, lists it).
    if (this.o.api instanceof KubeClient) {
      this.liveCache ??= new LiveCache(this.o.api, (d) => this.onDrift(d));
      this.rm.liveCache = this.liveCache;
    }
    if (!this.requests.watched) this.timers.push(setInterval(() => void this.pollRequests(), this.o.requestPollMs ?? 5_000));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Stops the timers and waits for a pass in progress to end. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.wanted = undefined;
    await this.running;
    await this.statusQueue;
    await this.clusterApi?.stop();
    await this.requests.stop();
    await this.liveCache?.stop();
  }

  /** Closes connections to workload clusters. */
  close(): void {
    this.applier.close();
    void this.clusterApi?.stop();
    void this.requests.stop();
    void this.liveCache?.stop();
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
      await this.rm.installPrerequisites();
      this.crdInstalled = true;
    }
    await this.watchClusterApi();
    let newRevision = false;
    if (what.fetch) {
      this.lastFetchAt = Date.now();
      const good = await this.revisions.take((revision, message) => this.onRejected(revision, message));
      if (good) syncTargets(this.targets, good.sets);
      newRevision = good !== undefined;
    }
    if (what.drift) this.lastDriftAt = Date.now();
    const good = this.revisions.good;
    result.revision = good?.revision;
    result.sourceError = this.revisions.sourceError;
    await this.requests.read();

    const now = Date.now();
    const forced = this.requests.forced;
    const drifted = new Set(this.drifted);
    this.drifted.clear();
    const due = [...this.targets.entries()].filter(([id, t]) => {
      if (forced.has(id) || this.carried.has(id) || drifted.has(id)) return true;
      if (t.failures > 0) return now >= t.nextAttemptAt;
      // A missing kubeconfig Secret is read again on its own schedule, not on every pass.
      if (t.missingKubeconfig && !what.full && now < t.missingKubeconfig.nextCheckAt) return false;
      if (t.appliedHash !== t.hash || (newRevision && t.appliedHash === undefined)) return true;
      // A watched set at rest is checked by its watches, and by a full plan every RESYNC_MS.
      return what.drift && (what.full || !this.watchedAtRest(id, t, now));
    });
    const kindOf = (id: string, t: Target): 'revision' | 'drift' =>
      t.appliedHash !== t.hash ? 'revision' : drifted.has(id) ? 'drift' : (this.carried.get(id) ?? (what.drift ? 'drift' : 'revision'));
    const kinds = new Map(due.map(([id, t]) => [id, kindOf(id, t)]));
    // A rebuild of this management cluster applies the fleet paused and unpauses it itself: while it
    // holds its Lease nothing is applied, and what was due waits for the next pass. Read only when
    // something is due, so a pass with nothing to do costs no request.
    if (due.length && (await this.rebuildHold.heldBy())) {
      for (const [id] of due) this.carried.set(id, kinds.get(id)!);
      return result;
    }
    this.carried.clear();
    // Unchanged sets are already at the new revision.
    if (newRevision) {
      for (const t of this.targets.values()) {
        if (t.appliedHash !== t.hash || t.failures > 0 || t.appliedRevision === good?.revision) continue;
        t.appliedRevision = good?.revision;
        t.appliedAt = isoNow();
      }
    }
    forced.clear();
    // Changed content first, management sets before add-on sets: a commit shows up before drift checks run.
    const rank = (id: string, t: Target) => (t.appliedHash !== t.hash ? 0 : 2) + Number(id.startsWith('addons.'));
    due.sort(([a, ta], [b, tb]) => rank(a, ta) - rank(b, tb) || (a < b ? -1 : 1));

    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.abort?.aborted && !this.preempted(what)) {
        const [id, target] = due[next++];
        const r = await this.applier.apply(id, target, kinds.get(id)!, good);
        if (r) result.applied.push(r);
        // The clusters of a management set report the revision as soon as it is applied, not at the end of the pass.
        if (r && target.set.target.kind === 'management') await this.writeStatuses(target.set.target.stage);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.o.concurrency ?? 4, due.length)) }, worker));
    // A push arrived: the sets not started yet wait for the next pass, which fetches first.
    for (const [id] of due.slice(next)) if (this.targets.has(id)) this.carried.set(id, kinds.get(id)!);
    // Reconcile requests whose sets this pass applied are answered in status (lastHandledReconcileAt).
    if (good) this.requests.acknowledge(new Set(due.slice(0, next).map(([id]) => id)), (id) => this.targets.has(id));
    if (newRevision) await this.pruneOrphans(result);
    if (newRevision && good) await this.reportHeld(good);
    await this.writeStatuses();
    this.passes++;
    this.logger.debug(
      { fetch: what.fetch, drift: what.drift, newRevision, due: due.length, done: next, carried: this.carried.size, ms: Date.now() - started },
      this.carried.size > 0 ? 'pass pre-empted by a push' : 'pass done',
    );
    return result;
  }

  /** Tells every cluster of the good revision that a newer one was rejected. */
  private async onRejected(revision: string, message: string): Promise<void> {
    const line = message.split('\n')[0];
    await Promise.all(
      (this.revisions.good?.clusters ?? []).map((c) =>
        this.events.record({ namespace: c.namespace, name: c.name, uid: this.requests.uid(c.stage, c.name) }, 'failed', `revision ${revision.slice(0, 12)} rejected: ${line}`),
      ),
    );
  }

  /** Checks for reconcile requests between passes, and starts a pass when there is one. */
  private async pollRequests(): Promise<void> {
    if (this.running || this.abort?.aborted || !this.crdInstalled) return;
    await this.requests.read();
    // A request fetches the source first, as `flux reconcile --with-source` does.
    if (this.requests.forced.size > 0) this.trigger({ fetch: true, drift: false });
  }

  /** Management sets applied before whose stage is gone: prune them (the prune guards and mass-prune protection apply). */
  private async pruneOrphans(result: PassResult): Promise<void> {
    // A stage whose stage.yaml does not validate is not gone: its set stays, even when this process never applied it.
    const blockedStages = blockedStagesOf(this.revisions.good?.blocked ?? []);
    const declared = (id: string) => this.targets.has(id) || blockedStages.has(id.slice('management.'.length));
    for (const { set, cs } of await pruneOrphanedSets(this.rm, declared, { allowMassPrune: this.o.allowMassPrune })) {
      const errors = cs.errors.map((e) => e.message);
      this.o.metrics.recordApply(set, 'revision', 0, cs, 0);
      if (errors.length > 0) this.o.metrics.recordFailure('prune', set);
      if (errors.length > 0) this.orphanErrors.set(set, summarize(errors));
      else this.orphanErrors.delete(set);
      // The stage's clusters are no longer declared: what is left of them says so, and why it is left.
      const stage = set.slice('management.'.length);
      await Promise.all(
        leftOfOrphanedStage(stage, cs, this.requests.clustersOf(stage)).map(([name, reason]) =>
          this.status.write({ namespace: stage, name }, removedStatus(reason)).catch((error: unknown) => {
            this.logger.warn({ cluster: name, err: error instanceof Error ? error.message : String(error) }, 'could not write status');
          }),
        ),
      );
      this.logger.info({ set, ...cs.counts(), errors: errors.length ? summarize(errors) : undefined }, 'stage no longer declared; pruned its set');
      result.applied.push({ set, errors, counts: cs.counts() });
    }
  }

  /** An Event on each cluster a new revision holds, naming the file and line that blocks it. */
  private async reportHeld(good: GoodRevision): Promise<void> {
    await Promise.all(
      good.held.map((h) => {
        const message = heldLine(h.blocked.problems, good.revision, h.revision ?? this.reportedOf(h.stage, h.name).revision);
        const namespace = good.clusters.find((c) => c.stage === h.stage && c.name === h.name)?.namespace ?? h.stage;
        return this.events.record({ namespace, name: h.name, uid: this.requests.uid(h.stage, h.name) }, 'failed', message);
      }),
    );
  }

  /** The revision and history last reported of a cluster: as this process wrote them, else as the status found on it says. */
  private reportedOf(stage: string, name: string): { revision?: string; history?: HistoryEntry[] } {
    const mine = this.reported.get(`${stage}/${name}`);
    const live = this.requests.reported(stage, name);
    return { revision: mine?.revision ?? live.revision, history: mine?.history ?? live.history };
  }

  /** Writes the status of every declared cluster and of kept undeclared ones, or of one stage's (only what changed goes out). */
  private async writeStatuses(stage?: string): Promise<void> {
    const good = this.revisions.good;
    // Before the live WorkloadClusters are read, what held and suspended clusters stay on is not known yet.
    if (!good || !this.requests.hasRead) return;
    const writes: Array<{ key: { namespace: string; name: string }; cluster: string; status: WorkloadClusterStatus }> = [];
    const now = isoNow();
    const statusOf = (c: DeclaredCluster, facts: Omit<StatusFacts, 'held' | 'lastRevision' | 'history' | 'now'>, held?: HeldCluster | BlockedDeclaration) => {
      const key = `${c.stage}/${c.name}`;
      const before = this.reportedOf(c.stage, c.name);
      const status = clusterStatus({
        ...facts,
        ...(held ? { held: 'blocked' in held ? { revision: held.revision, problems: held.blocked.problems } : { problems: held.problems } } : {}),
        lastRevision: before.revision,
        history: before.history,
        now,
      });
      this.reported.set(key, { revision: status.revision, history: status.history });
      if (status.revision) this.o.metrics.setAppliedRevision(c.stage, c.name, status.revision);
      writes.push({ key: c, cluster: c.name, status });
    };
    for (const c of good.clusters) {
      if (stage !== undefined && c.stage !== stage) continue;
      const held = good.held.find((h) => h.stage === c.stage && h.name === c.name);
      statusOf(
        c,
        {
          ...clusterFacts(c, good, this.targets, this.revisions, this.requests),
          clusterApi: this.clusterApi?.facts(c.namespace, c.name),
          handledReconcileAt: this.requests.handledAt(c.stage, c.name),
        },
        held,
      );
    }
    // Blocked clusters this process has no earlier revision of (it restarted): their live WorkloadClusters say so too.
    for (const b of good.blocked) {
      if (stage !== undefined && b.stage !== stage) continue;
      for (const live of this.requests.clustersOf(b.stage)) {
        if (good.clusters.some((c) => c.stage === b.stage && c.name === live.name) || !isBlocked([b], b.stage, live.name)) continue;
        statusOf(
          { stage: b.stage, name: live.name, namespace: live.namespace },
          { goodRevision: good.revision, lastFetched: this.revisions.lastFetched, suspended: this.requests.suspended(b.stage, live.name), clusterApi: this.clusterApi?.facts(live.namespace, live.name) },
          b,
        );
      }
    }
    for (const t of this.targets.values()) {
      if (t.set.target.kind !== 'management' || (stage !== undefined && t.set.target.stage !== stage)) continue;
      for (const [name, reason] of t.keptUndeclared ?? []) {
        // Declared clusters, and blocked ones (kept by retain, reported below), are not removed.
        if (good.clusters.some((c) => c.stage === t.set.target.stage && c.name === name) || isBlocked(good.blocked, t.set.target.stage, name)) continue;
        writes.push({ key: { namespace: t.set.target.stage, name }, cluster: name, status: removedStatus(reason) });
      }
    }
    await Promise.all(
      writes.map(async (w) => {
        try {
          await this.status.write(w.key, w.status);
        } catch (error) {
          this.o.metrics.recordFailure('status', managementSetId(w.key.namespace));
          this.logger.warn({ cluster: w.cluster, err: error instanceof Error ? error.message : String(error) }, 'could not write status');
        }
      }),
    );
  }

}
