/**
 * Applying one ManifestSet for the reconciler: reach its cluster (an add-on set goes through its
 * kubeconfig Secret), hold what suspended clusters declare, apply with prune (git wins over hand
 * edits), then record the outcome on the Target, in metrics, logs, notifications and Events.
 */
import type { Logger } from 'pino';
import { ChangeSet, type Action } from '../apply/change-set.js';
import { ResourceManager } from '../apply/resource-manager.js';
import type { KubeApi } from '../kube/client.js';
import { WorkloadAccessCache } from '../kube/workload-access.js';
import { CLUSTER_LABEL, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { addonHealth } from './addon-health.js';
import { reportChangeSet } from './change-set-events.js';
import type { ClusterRequests } from './cluster-requests.js';
import type { EventRecorder } from './events.js';
import type { FailurePhase, ReconcilerMetrics } from './metrics.js';
import type { NotificationSink } from './notifier.js';
import type { GoodRevision } from './revisions.js';
import { retainBlocked } from './held-declarations.js';
import { isoNow, type Target } from './target.js';

/** Longest wait, in drift intervals, before a missing kubeconfig Secret is read again. */
const MISSING_KUBECONFIG_MAX_INTERVALS = 4;
/**
 * The wait when the cluster's Cluster API Cluster is watched: a change of the Cluster (its control
 * plane initialized, when Cluster API writes the Secret) reads it at once, so this is only a fallback.
 */
const MISSING_KUBECONFIG_WATCHED_MS = 30 * 60_000;

/** What one apply of a set did. */
export interface AppliedSet {
  set: string;
  errors: string[];
  counts: Record<Action, number>;
}

/** What a SetApplier works with. */
export interface SetApplierOptions {
  /** The management cluster's manager. */
  rm: ResourceManager;
  managementApi: KubeApi;
  requests: ClusterRequests;
  events: EventRecorder;
  logger: Logger;
  metrics: ReconcilerMetrics;
  notifier?: NotificationSink;
  inventoryNamespace: string;
  driftMs: () => number;
  backoff: (failures: number) => number;
  allowMassPrune?: boolean;
  /** Whether the cluster's Cluster API Cluster exists and is watched (a missing kubeconfig Secret is then read again when it changes). */
  clusterWatched?: (namespace: string, cluster: string) => boolean;
}

/** Applies sets to the management cluster and, through their kubeconfig Secrets, to workload clusters. */
export class SetApplier {
  private readonly workloads: WorkloadAccessCache;
  private readonly workloadManagers = new Map<KubeApi, ResourceManager>();

  constructor(private readonly o: SetApplierOptions) {
    this.workloads = new WorkloadAccessCache(o.managementApi);
  }

  /** Closes connections to workload clusters. */
  close(): void {
    this.workloads.close();
  }

  /** Applies one set of the good revision; undefined when it was not applied (suspended, or its cluster is not reachable yet). */
  async apply(id: string, target: Target, pass: 'revision' | 'drift', good: GoodRevision | undefined): Promise<AppliedSet | undefined> {
    const set = target.set;
    const log = this.o.logger.child({ set: id, pass });
    const rm = await this.managerFor(id, target, good);
    if (!rm) return undefined;
    const effective = this.effectiveSet(target);
    const t0 = Date.now();
    let cs: ChangeSet;
    try {
      // Git wins: fields someone took over by hand (kubectl edit) are taken back.
      // While declarations of the stage are blocked, prune keeps what they stand for (even with nothing carried, after a restart).
      const retain = set.target.kind === 'management' ? retainBlocked(good?.blocked ?? [], set.target.stage) : undefined;
      cs = await rm.apply(effective, { prune: true, force: true, allowMassPrune: this.o.allowMassPrune, retain });
    } catch (error) {
      cs = new ChangeSet();
      cs.fail(id, error instanceof Error ? error.message : String(error));
    }
    const seconds = (Date.now() - t0) / 1000;
    const counts = cs.counts();
    const contentChanged = target.appliedHash !== target.hash;
    const drift = !contentChanged && pass === 'drift' ? counts.created + counts.configured : 0;
    this.o.metrics.recordApply(id, pass, seconds, cs, drift);
    // The last ChangeSet that did something (or failed): a pass that changed nothing keeps it, so a
    // drift check at rest rewrites no status of the stage's clusters.
    if (cs.hasChanges || cs.errors.length > 0 || counts.skipped > 0 || !target.lastCounts || target.lastCounts.errors > 0) {
      target.lastCounts = { ...counts, errors: cs.errors.length };
    }
    const errors = cs.errors.map((e) => e.message);
    const wasFailing = target.failures > 0;
    const previous = target.appliedSet;
    if (set.target.kind === 'management') {
      target.keptUndeclared = new Map(cs.entries.filter((e) => e.kind === 'WorkloadCluster' && e.action === 'skipped').map((e) => [e.name, e.reason ?? 'protected']));
    }
    // A workload cluster that failed is reached through its Secret read again next time (a rotated kubeconfig).
    if (errors.length > 0 && set.target.kind === 'workload') {
      const declared = good?.clusters.find((c) => c.stage === set.target.stage && c.name === (set.target as { cluster: string }).cluster);
      this.workloads.forget(declared?.namespace ?? set.target.stage, set.target.cluster);
    }
    if (errors.length === 0) {
      target.failures = 0;
      target.nextAttemptAt = 0;
      target.lastError = undefined;
      target.appliedHash = target.hash;
      target.appliedSet = effective;
      if (target.appliedRevision !== good?.revision || cs.hasChanges) target.appliedAt = isoNow();
      target.appliedRevision = good?.revision;
      if (set.target.kind === 'workload' && (cs.hasChanges || !target.health || target.health.ready !== target.health.total)) {
        target.health = await addonHealth(rm, set).catch(() => undefined);
      }
    } else {
      this.fail(target, id, cs.errors.some((e) => /prune/i.test(e.message)) ? 'prune' : 'apply', errors.join('; '), good);
    }
    if (cs.hasChanges || errors.length > 0 || counts.skipped > 0) {
      log.info({ seconds, ...counts, errors: errors.length, drift }, errors.length ? 'set applied with errors' : 'set applied');
    } else {
      log.debug({ seconds }, 'set unchanged');
    }
    const recovered = wasFailing && errors.length === 0;
    if (recovered) {
      this.o.notifier?.notify({ event: 'recovery', subject: id, revision: good?.revision, message: `${id} applies again at revision ${good?.revision.slice(0, 12) ?? ''}` });
    }
    await reportChangeSet(this.o.events, {
      set,
      previous,
      cs,
      drift: drift > 0,
      recovered,
      revision: good?.revision ?? '',
      clusters: good?.clusters ?? [],
      uidOf: (c) => this.o.requests.uid(c.stage, c.name),
    });
    return { set: id, errors, counts };
  }

  /** Records a failure of a set: backoff, notification on the first, metrics and a log line. */
  fail(target: Target, id: string, phase: FailurePhase, message: string, good?: GoodRevision): void {
    target.failures++;
    if (target.failures === 1) this.o.notifier?.notify({ event: 'failure', subject: id, phase, revision: good?.revision, message });
    target.lastError = message;
    target.nextAttemptAt = Date.now() + this.o.backoff(target.failures);
    this.o.metrics.recordFailure(phase, id);
    this.o.logger.error({ set: id, phase, failures: target.failures, retryInMs: target.nextAttemptAt - Date.now(), err: message }, 'set failed');
  }

  /** The manager of the set's cluster; undefined (with the reason on the target) when it cannot be applied now. */
  private async managerFor(id: string, target: Target, good: GoodRevision | undefined): Promise<ResourceManager | undefined> {
    const set = target.set;
    if (set.target.kind !== 'workload') return this.o.rm;
    const { stage, cluster } = set.target;
    if (this.o.requests.suspended(stage, cluster)) {
      target.waiting = 'suspended';
      return undefined;
    }
    const declared = good?.clusters.find((c) => c.stage === stage && c.name === cluster);
    try {
      const access = await this.workloads.access(declared?.namespace ?? stage, cluster);
      if (!access.ok) {
        target.waiting = access.message;
        if (access.reason === 'NoKubeconfig') {
          const misses = (target.missingKubeconfig?.misses ?? 0) + 1;
          const wait = this.o.clusterWatched?.(declared?.namespace ?? stage, cluster)
            ? MISSING_KUBECONFIG_WATCHED_MS
            : this.o.driftMs() * Math.min(2 ** (misses - 1), MISSING_KUBECONFIG_MAX_INTERVALS);
          target.missingKubeconfig = { misses, nextCheckAt: Date.now() + wait };
        } else target.missingKubeconfig = undefined;
        if (access.reason === 'BadKubeconfig') this.fail(target, id, 'addons', access.message, good);
        return undefined;
      }
      target.missingKubeconfig = undefined;
      target.waiting = undefined;
      let rm = this.workloadManagers.get(access.api);
      if (!rm) {
        rm = new ResourceManager(access.api, { inventoryNamespace: this.o.inventoryNamespace });
        this.workloadManagers.set(access.api, rm);
      }
      return rm;
    } catch (error) {
      this.fail(target, id, 'addons', error instanceof Error ? error.message : String(error), good);
      return undefined;
    }
  }

  /** The set to apply: suspended clusters' objects stay as last applied. */
  private effectiveSet(target: Target): ManifestSet {
    const set = target.set;
    if (set.target.kind !== 'management') return set;
    const stage = set.target.stage;
    const held = new Set(
      set.objects.map((o) => o.metadata.labels?.[CLUSTER_LABEL]).filter((c): c is string => !!c && this.o.requests.suspended(stage, c)),
    );
    if (held.size === 0 || !target.appliedSet) return set;
    const isHeld = (o: KubeObject) => o.kind !== 'WorkloadCluster' && held.has(o.metadata.labels?.[CLUSTER_LABEL] ?? '');
    return { ...set, objects: [...set.objects.filter((o) => !isHeld(o)), ...target.appliedSet.objects.filter(isHeld)] };
  }
}
