import { KubeError, type KubeApi } from '../kube/client.js';
import type { Action } from '../apply/change-set.js';
import type { WaitingChange } from '../model/waiting-change.js';
import { WORKLOAD_CLUSTER_API_VERSION, WORKLOAD_CLUSTER_PLURAL } from '../charts/workload-cluster-crd.js';

/** Phases a WorkloadCluster goes through, as `kubectl get workloadclusters` shows them. */
export const PHASES = ['Pending', 'Progressing', 'Provisioning', 'Ready', 'Unavailable', 'Degraded', 'Failed', 'Suspended', 'Deleting', 'Removed'] as const;
export type Phase = (typeof PHASES)[number];

/** The condition types the reconciler reports. */
export const CONDITION_TYPES = ['Ready', 'Synced', 'ClusterAvailable', 'AddonsReady'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** One condition as the reconciler decides it (the transition time is filled in on write). */
export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The status the reconciler writes on a WorkloadCluster. */
export interface WorkloadClusterStatus {
  phase: Phase;
  /** The commit SHA whose output is applied. */
  revision?: string;
  /** The commit SHA tried last (differs from `revision` while a newer commit fails). */
  attemptedRevision?: string;
  /** A newer revision not applied to this cluster: it is suspended, or its declaration does not validate there. */
  waitingRevision?: string;
  /** Why its declaration (or its stage's) does not validate, at waitingRevision. */
  problems?: StatusProblem[];
  /** Suspended: what waitingRevision would change if it were resumed, object by object (at most MAX_WAITING_CHANGES). */
  waitingChanges?: WaitingChange[];
  /** Objects that would change beyond those listed in waitingChanges. */
  waitingChangesMore?: number;
  /** Revisions applied to this cluster, newest first. */
  history?: HistoryEntry[];
  /** The value of the reconcile-request annotation last handled (as Flux's `lastHandledReconcileAt`). */
  lastHandledReconcileAt?: string;
  lastAppliedTime?: string;
  lastError?: string;
  lastChangeSet?: Partial<Record<Action | 'errors', number>>;
  addons?: { ready: number; total: number; message?: string };
  /**
   * The newest stack step (`--pulumi-stack`): `succeeded` or `failed` (an up ran, for `revision`),
   * or `unchanged` (the stack's inputs are those of `lastUpRevision`, so no up ran); `durationMs` of the up.
   */
  stack?: { name: string; result: string; revision: string; durationMs: number; at: string; changes?: Record<string, number>; lastUpRevision?: string };
  /** What Cluster API reports of the cluster (its Cluster's status). */
  cluster?: { phase?: string; version?: string; controlPlane?: Replicas; workers?: Replicas };
  conditions: ConditionInput[];
}

/** One problem of a declaration, as status shows it. */
export interface StatusProblem {
  file: string;
  line: number;
  column?: number;
  field?: string;
  message: string;
}

/** One revision applied to a cluster, and when it first was. */
export interface HistoryEntry {
  revision: string;
  appliedAt?: string;
}

/** Longest history kept in status. */
export const HISTORY_LENGTH = 10;

/** Replica counters of a control plane or of the workers. */
export interface Replicas {
  desired?: number;
  ready?: number;
  available?: number;
}

/** Which WorkloadCluster object. */
export interface WorkloadClusterKey {
  namespace: string;
  name: string;
}

/** Field manager of status writes, apart from the one that applies the spec. */
export const STATUS_FIELD_MANAGER = 'clusterops-status';

/** Longest lastError written; longer messages are cut (the full text is in the logs). */
const MAX_ERROR_CHARS = 4000;

/**
 * Writes the status of WorkloadClusters through the status subresource with server-side apply,
 * only when it changed since the last write, keeping each condition's lastTransitionTime until its
 * status changes.
 */
export class StatusWriter {
  private readonly written = new Map<string, string>();
  private readonly transitions = new Map<string, { status: string; time: string }>();

  constructor(private readonly api: KubeApi) {}

  /** Writes a status; resolves false when the object does not exist (nothing to report on). */
  async write(key: WorkloadClusterKey, status: WorkloadClusterStatus): Promise<boolean> {
    const id = `${key.namespace}/${key.name}`;
    const comparable = JSON.stringify(status);
    if (this.written.get(id) === comparable) return true;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = status.conditions.map((c) => {
      const tkey = `${id}/${c.type}`;
      const prev = this.transitions.get(tkey);
      const time = prev && prev.status === c.status ? prev.time : now;
      this.transitions.set(tkey, { status: c.status, time });
      return { ...c, message: c.message.slice(0, MAX_ERROR_CHARS), lastTransitionTime: time };
    });
    const body = {
      apiVersion: WORKLOAD_CLUSTER_API_VERSION,
      kind: 'WorkloadCluster',
      metadata: { name: key.name, namespace: key.namespace },
      status: {
        ...status,
        ...(status.lastError ? { lastError: status.lastError.slice(0, MAX_ERROR_CHARS) } : {}),
        conditions,
      },
    };
    try {
      await this.api.request({
        verb: 'apply',
        method: 'PATCH',
        path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/namespaces/${encodeURIComponent(key.namespace)}/${WORKLOAD_CLUSTER_PLURAL}/${encodeURIComponent(key.name)}/status`,
        query: { fieldManager: STATUS_FIELD_MANAGER, force: 'true' },
        contentType: 'application/apply-patch+yaml',
        body,
      });
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) {
        this.written.delete(id);
        return false;
      }
      throw error;
    }
    this.written.set(id, comparable);
    return true;
  }

  /** Forgets what was written, so the next write goes out even when unchanged (after a leader change). */
  reset(): void {
    this.written.clear();
  }
}
