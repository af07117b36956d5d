/**
 * The status of a WorkloadCluster as a pure function of what the reconciler observed, by tables:
 * one ordered list of rules per condition and one for the phase, the first rule that matches wins.
 * Unit-tested without an API server; the reconciler only gathers the facts and writes the result.
 */
import type { Action } from '../model/outcome.js';
import type { ClusterApiFacts } from './cluster-api-facts.js';
import { formatProblem, type Problem } from '../spec/problem.js';
import type { StackUpReport } from './stack-runner.js';
import type { WaitingChanges } from './waiting-changes.js';
import { HISTORY_LENGTH, type ConditionInput, type HistoryEntry, type Phase, type Replicas, type WorkloadClusterStatus } from './status.js';

/** What the reconciler knows about one ManifestSet of a cluster. */
export interface SetFacts {
  /** The newest content is applied without errors. */
  inSync: boolean;
  lastError?: string;
  /** The revision whose content of this set is applied. */
  appliedRevision?: string;
  appliedAt?: string;
  counts?: Partial<Record<Action | 'errors', number>>;
}

/** What the reconciler knows about a cluster's add-on set, beyond SetFacts. */
export interface AddonFacts extends SetFacts {
  /** Why the add-ons are not being applied: `suspended`, or a missing or bad kubeconfig. */
  waiting?: string;
  health?: { ready: number; total: number; notReady: string[] };
}

/** Everything a cluster's status is computed from. */
export interface StatusFacts {
  /** The newest revision that synthesized. */
  goodRevision: string;
  /** The newest revision fetched (differs while a newer one is rejected). */
  lastFetched?: string;
  suspended: boolean;
  fetchError?: string;
  /** The newest revision fetched, when it was rejected (synth or admission; phase `pulumi`: its stack's up failed). */
  rejected?: { revision: string; error: string; phase?: string };
  /** The newest stack step (`--pulumi-stack`), when the reconciler runs one. */
  stack?: StackUpReport;
  management?: SetFacts;
  /** Undefined when the cluster declares no add-ons. */
  addons?: AddonFacts;
  /** What Cluster API says of the cluster: undefined while not known, null when its Cluster does not exist. */
  clusterApi?: ClusterApiFacts | null;
  /** The reconcile request (annotation value) last handled. */
  handledReconcileAt?: string;
  /** Its declaration (or its stage's) does not validate in goodRevision: its problems, and the revision it stays on. */
  held?: { revision?: string; problems: Problem[] };
  /** The revision reported applied to it before (what a suspended or held cluster stays on). */
  lastRevision?: string;
  /** Its history so far, newest first. */
  history?: HistoryEntry[];
  /** Suspended: what the revision that waits would change if it were resumed. */
  waitingChanges?: WaitingChanges;
  /** Now, for a new history entry (RFC 3339). */
  now?: string;
}

type Rule = { when: (f: StatusFacts) => boolean; then: (f: StatusFacts) => Omit<ConditionInput, 'type'> };

const rejectedMessage = (f: StatusFacts) => `revision ${f.rejected!.revision.slice(0, 12)} rejected: ${f.rejected!.error}`;

/**
 * Why a held cluster is not at `goodRevision`: its first problem (file:line), how many more, and the
 * revision it stays on; the one line status, Events and logs give.
 */
export function heldLine(problems: readonly Problem[], goodRevision: string, stays: string | undefined): string {
  const [first, ...rest] = problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  const what = first ? formatProblem(first) : 'its declaration does not validate';
  return `${what}${more}; revision ${goodRevision.slice(0, 12)} is not applied to this cluster, it stays ${stays ? `on revision ${stays.slice(0, 12)}` : 'as applied before'}`;
}

const heldMessage = (f: StatusFacts) => heldLine(f.held!.problems, f.goodRevision, f.held!.revision ?? f.lastRevision);

/**
 * The revision applied to a cluster. A held or suspended cluster is on what was applied to it
 * before; so is any cluster while its stage's set is being applied (that set's revision may be one
 * that held this cluster back); with its management objects applied and its add-ons not, it is on
 * its management set's revision.
 */
function revisionOf(f: StatusFacts, mgmtSynced: boolean, addonsApplied: boolean): string | undefined {
  if (f.held) return f.held.revision ?? f.lastRevision;
  if (f.suspended && f.lastRevision) return f.lastRevision;
  if (mgmtSynced) return addonsApplied ? f.goodRevision : f.management?.appliedRevision;
  return f.lastRevision ?? f.management?.appliedRevision;
}

/** Longest list of problems written to status (the first ones; the logs have all). */
const MAX_STATUS_PROBLEMS = 20;

/** Synced: whether the newest revision's management objects of the cluster are applied. */
const SYNCED: Rule[] = [
  { when: (f) => !!f.fetchError, then: (f) => ({ status: 'False', reason: 'FetchFailed', message: f.fetchError! }) },
  { when: (f) => f.rejected?.phase === 'pulumi', then: (f) => ({ status: 'False', reason: 'StackUpFailed', message: rejectedMessage(f) }) },
  { when: (f) => !!f.rejected, then: (f) => ({ status: 'False', reason: 'RevisionRejected', message: rejectedMessage(f) }) },
  { when: (f) => !!f.held, then: (f) => ({ status: 'False', reason: 'DeclarationInvalid', message: heldMessage(f) }) },
  {
    // Its objects are those of the revision it stays on, not the newest one's: never `applied`.
    when: (f) => f.suspended && !!f.lastRevision && f.lastRevision !== f.goodRevision,
    then: (f) => ({
      status: 'Unknown',
      reason: 'Suspended',
      message: `reconciling is suspended; revision ${f.goodRevision.slice(0, 12)} waits, the cluster stays on revision ${f.lastRevision!.slice(0, 12)}`,
    }),
  },
  { when: (f) => !!f.management?.lastError, then: (f) => ({ status: 'False', reason: 'ApplyFailed', message: f.management!.lastError! }) },
  { when: (f) => !f.management || f.management.inSync, then: (f) => ({ status: 'True', reason: 'Applied', message: `revision ${f.goodRevision} applied` }) },
  { when: () => true, then: () => ({ status: 'Unknown', reason: 'Progressing', message: 'not applied yet' }) },
];

const healthy = (f: StatusFacts) => !!f.addons?.health && f.addons.health.ready === f.addons.health.total;

/** AddonsReady: whether the add-ons are applied inside the workload cluster and healthy there. */
const ADDONS_READY: Rule[] = [
  { when: (f) => !f.addons, then: () => ({ status: 'True', reason: 'NoAddons', message: 'no add-ons declared' }) },
  { when: (f) => f.addons!.waiting === 'suspended', then: () => ({ status: 'Unknown', reason: 'Suspended', message: 'reconciling is suspended' }) },
  { when: (f) => !!f.addons!.waiting, then: (f) => ({ status: 'False', reason: 'WaitingForKubeconfig', message: f.addons!.waiting! }) },
  { when: (f) => !!f.addons!.lastError, then: (f) => ({ status: 'False', reason: 'ApplyFailed', message: f.addons!.lastError! }) },
  {
    when: healthy,
    then: (f) => ({ status: 'True', reason: 'Healthy', message: `${f.addons!.health!.ready}/${f.addons!.health!.total} add-on objects ready` }),
  },
  {
    when: () => true,
    then: (f) => {
      const h = f.addons!.health;
      return { status: 'False', reason: 'NotReady', message: h ? `${h.ready}/${h.total} ready: ${h.notReady.join('; ')}` : 'not applied yet' };
    },
  },
];

const replicas = (r: Replicas | undefined) => `${r?.ready ?? 0}/${r?.desired ?? 0}`;
/** Replicas are wanted and none is counted ready. */
const noneReady = (r: Replicas | undefined) => (r?.desired ?? 0) > 0 && (r?.ready ?? 0) === 0;

/**
 * ClusterAvailable: Cluster API's own verdict on the cluster (the v1beta2 Available condition of its
 * Cluster, which sums up infrastructure, control plane, workers and topology), never our guess.
 */
const CLUSTER_AVAILABLE: Rule[] = [
  { when: (f) => f.clusterApi === undefined, then: () => ({ status: 'Unknown', reason: 'NotObserved', message: 'Cluster API Clusters not read yet' }) },
  {
    when: (f) => f.clusterApi === null,
    then: (f) => ({ status: 'Unknown', reason: 'ClusterNotFound', message: f.management?.inSync ? 'its Cluster does not exist' : 'its Cluster is not applied yet' }),
  },
  { when: (f) => f.clusterApi!.deleting, then: () => ({ status: 'False', reason: 'Deleting', message: 'Cluster API is deleting the Cluster' }) },
  {
    when: (f) => !f.clusterApi!.available,
    then: () => ({ status: 'Unknown', reason: 'NoClusterAPIStatus', message: 'Cluster API has not reported on the Cluster (are its controllers running?)' }),
  },
  {
    // Cluster API's counters lag its condition while it recounts (seen under load after an API server
    // restart: Available=True with 0 of 3 workers ready). Ready is not said until the two agree.
    when: (f) => f.clusterApi!.available!.status === 'True' && (noneReady(f.clusterApi!.controlPlane) || noneReady(f.clusterApi!.workers)),
    then: (f) => ({
      status: 'Unknown',
      reason: 'Counting',
      message: `Cluster API says Available but counts control plane ${replicas(f.clusterApi!.controlPlane)} ready, workers ${replicas(f.clusterApi!.workers)} ready; waiting for the two to agree`,
    }),
  },
  {
    when: (f) => f.clusterApi!.available!.status === 'True',
    then: (f) => ({
      status: 'True',
      reason: 'Available',
      message: `control plane ${replicas(f.clusterApi!.controlPlane)} ready, workers ${replicas(f.clusterApi!.workers)} ready`,
    }),
  },
  {
    when: () => true,
    then: (f) => {
      const a = f.clusterApi!.available!;
      return { status: a.status, reason: a.reason || 'NotAvailable', message: a.message || 'Cluster API reports the Cluster not available' };
    },
  },
];

/** What the phase is decided from. */
interface PhaseInput {
  facts: StatusFacts;
  ready: boolean;
  synced: boolean;
  available: boolean;
  errors: boolean;
  revision?: string;
}

/** The phase, first match wins. */
const PHASE: ReadonlyArray<[Phase, (p: PhaseInput) => boolean]> = [
  ['Suspended', (p) => p.facts.suspended],
  ['Ready', (p) => p.ready],
  ['Degraded', (p) => p.errors && !!p.revision],
  ['Failed', (p) => p.errors],
  ['Deleting', (p) => !!p.facts.clusterApi?.deleting],
  // Applied, and Cluster API has not made the cluster available: not yet, or no longer.
  ['Unavailable', (p) => p.synced && !p.available && p.facts.clusterApi?.phase === 'Provisioned'],
  ['Provisioning', (p) => p.synced && !p.available && !!p.revision],
  ['Progressing', (p) => !!p.revision],
  ['Pending', () => true],
];

function decide(type: ConditionInput['type'], rules: Rule[], f: StatusFacts): ConditionInput {
  return { type, ...rules.find((r) => r.when(f))!.then(f) };
}

/** The status of one declared cluster. */
export function clusterStatus(f: StatusFacts): WorkloadClusterStatus {
  const errors = [f.fetchError, f.rejected ? rejectedMessage(f) : undefined, f.held ? heldMessage(f) : undefined, f.management?.lastError, f.addons?.lastError].filter(
    (e): e is string => !!e,
  );
  const mgmtSynced = !f.management || f.management.inSync;
  const addonsApplied = !f.addons || (f.addons.inSync && !f.addons.waiting);
  const revision = revisionOf(f, mgmtSynced, addonsApplied);
  const waitingRevision = (f.held || f.suspended) && revision !== f.goodRevision ? f.goodRevision : undefined;
  const history = f.history ?? [];
  const newHistory = revision && history[0]?.revision !== revision ? [{ revision, ...(f.now ? { appliedAt: f.now } : {}) }, ...history].slice(0, HISTORY_LENGTH) : history;
  const synced = decide('Synced', SYNCED, f);
  const addonsReady = decide('AddonsReady', ADDONS_READY, f);
  const available = decide('ClusterAvailable', CLUSTER_AVAILABLE, f);
  const ready = synced.status === 'True' && available.status === 'True' && addonsReady.status === 'True' && !f.suspended;
  const phase = PHASE.find(([, when]) =>
    when({ facts: f, ready, synced: synced.status === 'True', available: available.status === 'True', errors: errors.length > 0, revision }),
  )![0];
  // The first unmet one, in the order they depend on each other: applied, then the cluster, then its add-ons.
  const notReady = [synced, available, addonsReady].find((c) => c.status !== 'True') ?? addonsReady;
  const capi = f.clusterApi;
  const counts: Record<string, number> = {};
  for (const set of [f.management, f.addons]) for (const [k, v] of Object.entries(set?.counts ?? {})) counts[k] = (counts[k] ?? 0) + (v ?? 0);
  const health = f.addons?.health;
  return {
    phase,
    ...(revision ? { revision } : {}),
    attemptedRevision: f.lastFetched ?? f.goodRevision,
    ...(waitingRevision ? { waitingRevision } : {}),
    ...(waitingRevision && f.waitingChanges ? { waitingChanges: f.waitingChanges.changes, ...(f.waitingChanges.more ? { waitingChangesMore: f.waitingChanges.more } : {}) } : {}),
    ...(f.held
      ? {
          problems: f.held.problems
            .slice(0, MAX_STATUS_PROBLEMS)
            .map((p) => ({ file: p.file, line: p.line, column: p.column, ...(p.path ? { field: p.path } : {}), message: p.message })),
        }
      : {}),
    ...(newHistory.length > 0 ? { history: newHistory } : {}),
    ...(f.handledReconcileAt ? { lastHandledReconcileAt: f.handledReconcileAt } : {}),
    ...(f.management?.appliedAt ? { lastAppliedTime: f.management.appliedAt } : {}),
    ...(errors.length > 0 ? { lastError: errors.join('\n') } : {}),
    ...(Object.keys(counts).length > 0 ? { lastChangeSet: counts } : {}),
    ...(f.stack ? { stack: stackStatus(f.stack) } : {}),
    ...(health ? { addons: { ready: health.ready, total: health.total, ...(health.notReady.length ? { message: health.notReady.join('; ') } : {}) } } : {}),
    ...(capi
      ? {
          cluster: {
            ...(capi.phase ? { phase: capi.phase } : {}),
            ...(capi.version ? { version: capi.version } : {}),
            ...(capi.controlPlane ? { controlPlane: capi.controlPlane } : {}),
            ...(capi.workers ? { workers: capi.workers } : {}),
          },
        }
      : {}),
    conditions: [
      ready
        ? { type: 'Ready', status: 'True', reason: 'Ready', message: 'applied and healthy' }
        : { type: 'Ready', status: 'False', reason: f.suspended ? 'Suspended' : notReady.reason, message: f.suspended ? 'reconciling is suspended' : notReady.message },
      synced,
      available,
      addonsReady,
    ],
  };
}

/** What status says of the newest stack step: never its error text (that is lastError) nor anything of the state. */
function stackStatus(r: StackUpReport): NonNullable<WorkloadClusterStatus['stack']> {
  return {
    name: r.stack,
    result: r.result,
    revision: r.revision,
    durationMs: r.durationMs,
    at: r.at,
    ...(r.changes ? { changes: r.changes } : {}),
    ...(r.lastUpRevision ? { lastUpRevision: r.lastUpRevision } : {}),
  };
}

/** The status of a cluster whose declaration is gone while its objects are kept (deletion protection, or what a kept object stands on). */
export function removedStatus(reason: string): WorkloadClusterStatus {
  const message = `its declaration was removed from git; kept: ${reason}`;
  return {
    phase: 'Removed',
    conditions: [
      { type: 'Ready', status: 'False', reason: 'DeclarationRemoved', message },
      { type: 'Synced', status: 'False', reason: 'DeclarationRemoved', message },
      { type: 'ClusterAvailable', status: 'Unknown', reason: 'DeclarationRemoved', message },
      { type: 'AddonsReady', status: 'Unknown', reason: 'DeclarationRemoved', message },
    ],
  };
}
