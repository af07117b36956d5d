/**
 * What Cluster API says about one cluster, read from its Cluster object (cluster.x-k8s.io/v1beta2
 * status): the Available condition, phase, version and the replica counters of control plane and
 * workers. A pure function of the object, so the status table can be tested without an API server.
 */

import type { Replicas } from './status.js';

/** The facts the status table reads. */
export interface ClusterApiFacts {
  /** `status.phase` (Pending, Provisioning, Provisioned, Deleting, Failed). */
  phase?: string;
  /** The v1beta2 Available condition, when Cluster API has written one. */
  available?: { status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string };
  /** `spec.topology.version`. */
  version?: string;
  controlPlane?: Replicas;
  workers?: Replicas;
  deleting: boolean;
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** The part of a Cluster object read here. */
export interface ClusterObject {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  spec?: { topology?: { version?: string } };
  status?: {
    phase?: string;
    conditions?: Condition[];
    controlPlane?: { desiredReplicas?: number; readyReplicas?: number; availableReplicas?: number };
    workers?: { desiredReplicas?: number; readyReplicas?: number; availableReplicas?: number };
  };
}

/** Cluster API's replica counters as status reports them, without the ones it has not set. */
function counts(c: { desiredReplicas?: number; readyReplicas?: number; availableReplicas?: number } | undefined): Replicas | undefined {
  if (!c) return undefined;
  const all = { desired: c.desiredReplicas, ready: c.readyReplicas, available: c.availableReplicas };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

/** Reads the facts of one Cluster object. */
export function clusterApiFacts(cluster: ClusterObject): ClusterApiFacts {
  const available = cluster.status?.conditions?.find((c) => c.type === 'Available');
  return {
    phase: cluster.status?.phase,
    ...(available ? { available: { status: available.status, reason: available.reason, message: available.message } } : {}),
    version: cluster.spec?.topology?.version,
    controlPlane: counts(cluster.status?.controlPlane),
    workers: counts(cluster.status?.workers),
    deleting: !!cluster.metadata.deletionTimestamp,
  };
}
