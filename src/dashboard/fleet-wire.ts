/**
 * What the dashboard's server sends its browser code: the shapes of the JSON answers and of the
 * stream's messages. Types only, shared by the server (fleet-view.ts, fleet-stream.ts) and the
 * bundle (web/), so the two cannot drift apart.
 */
import type { ClusterSummary } from '../model/cluster-summary.js';
import type { ClusterTreeNode } from '../model/cluster-tree.js';
import type { WaitingChange } from '../model/waiting-change.js';

export type { ClusterTreeNode, WaitingChange };

/** A row of the fleet table: the summary, and the object's resourceVersion (a page shown of it is stale when this moves). */
export type FleetRow = ClusterSummary & { resourceVersion: string };

/** One Event about a WorkloadCluster, as the dashboard shows it. */
export interface ClusterEvent {
  /** `namespace/name` of the cluster it is about. */
  cluster: string;
  name: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

/** The stream's first message: every row. */
export interface FleetSnapshot {
  clusters: FleetRow[];
}

/** A later message of the stream: what moved since the last one. */
export interface FleetChanges {
  upserts: FleetRow[];
  removes: string[];
  events: ClusterEvent[];
}

/** A condition as the status holds it. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Why a declaration was refused: one problem of its file. */
export interface Problem {
  file: string;
  line: number;
  column?: number;
  field?: string;
  message: string;
}

/** A WorkloadCluster as the per-cluster page reads it (every field optional: statuses grow). */
export interface ClusterObject {
  metadata: { name: string; namespace: string; uid?: string; creationTimestamp?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    provider?: string;
    region?: string;
    kubernetesVersion?: string;
    suspend?: boolean;
    controlPlane?: { replicas?: number; machineType?: string };
    nodePools?: Array<{ name: string; replicas?: number; autoscaling?: { min: number; max: number }; machineType?: string }>;
    addons?: Record<string, unknown>;
    deletionProtection?: boolean;
  };
  status?: {
    phase?: string;
    revision?: string;
    attemptedRevision?: string;
    waitingRevision?: string;
    waitingChanges?: WaitingChange[];
    waitingChangesMore?: number;
    lastAppliedTime?: string;
    lastHandledReconcileAt?: string;
    lastError?: string;
    lastChangeSet?: Record<string, number>;
    addons?: { ready: number; total: number; message?: string };
    cluster?: { phase?: string; version?: string; controlPlane?: Replicas; workers?: Replicas };
    conditions?: Condition[];
    history?: Array<{ revision: string; appliedAt?: string }>;
    problems?: Problem[];
  };
}

/** Replica counters, as Cluster API reports them. */
export interface Replicas {
  desired?: number;
  ready?: number;
  available?: number;
}

/** The answer of GET /api/cluster. */
export interface ClusterPage {
  cluster: ClusterObject;
  events: ClusterEvent[];
}

/** The answer of GET /api/cluster/tree: the Cluster API objects under the cluster, read at `readAt`; `tree` is null while there is no Cluster. */
export interface ClusterTreeAnswer {
  tree: ClusterTreeNode | null;
  readAt: string;
}
