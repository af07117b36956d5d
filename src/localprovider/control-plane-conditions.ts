/**
 * The status of a LocalControlPlane as a pure function of what the controller observed, by table:
 * each phase says whether the API server is initialized and available and why, in the v1beta2
 * vocabulary Cluster API reads (`Available` is mirrored into the Cluster's ControlPlaneAvailable,
 * `status.initialization.controlPlaneInitialized` into ControlPlaneInitialized).
 */
import type { ConditionInput } from './conditions.js';

/** Where a control plane stands. */
export type ControlPlanePhase =
  | 'WaitingForCluster'
  | 'WaitingForEndpoint'
  | 'VersionUnavailable'
  | 'IdentityMismatch'
  | 'Starting'
  | 'Running'
  | 'Restarting'
  | 'Deleting';

/** What the controller saw. */
export interface ControlPlaneFacts {
  phase: ControlPlanePhase;
  /** Extra words for the message (an error, the refused version). */
  detail?: string;
  /** The API server was initialized once (it answered before): it stays initialized while restarting. */
  everInitialized: boolean;
  /** spec.replicas (default 1). */
  desiredReplicas: number;
  /** The version the API server runs, when it runs. */
  runningVersion?: string;
}

const ROWS: Record<ControlPlanePhase, { available: boolean; reason: string; message: (detail?: string) => string; running: boolean }> = {
  WaitingForCluster: { available: false, reason: 'WaitingForCluster', message: () => 'waiting for Cluster API to set the owner Cluster', running: false },
  WaitingForEndpoint: { available: false, reason: 'WaitingForEndpoint', message: () => "waiting for the Cluster's spec.controlPlaneEndpoint (from its LocalCluster)", running: false },
  VersionUnavailable: { available: false, reason: 'VersionUnavailable', message: (d) => d ?? 'version not available', running: false },
  IdentityMismatch: { available: false, reason: 'IdentityMismatch', message: (d) => d ?? 'identity mismatch', running: false },
  Starting: { available: false, reason: 'Starting', message: () => 'starting etcd, kube-apiserver and kube-controller-manager', running: false },
  Running: { available: true, reason: 'Available', message: (d) => d ?? 'kube-apiserver is ready', running: true },
  Restarting: { available: false, reason: 'Restarting', message: (d) => `a component stopped; restarting${d ? `: ${d}` : ''}`, running: false },
  Deleting: { available: false, reason: 'Deleting', message: () => 'stopping the processes and deleting the data', running: false },
};

/** The conditions and counters of the status for `facts`; pure. */
export function controlPlaneStatusFor(facts: ControlPlaneFacts): { conditions: ConditionInput[]; replicas: number; readyReplicas: number; initialized: boolean } {
  const row = ROWS[facts.phase];
  const up = row.running ? 1 : 0;
  const scaling = facts.desiredReplicas === 1 ? undefined : `the local provider runs one API server; spec.replicas ${facts.desiredReplicas} is not supported`;
  const deleting = facts.phase === 'Deleting';
  return {
    replicas: up,
    readyReplicas: up,
    initialized: facts.everInitialized || row.running,
    conditions: [
      { type: 'Available', status: row.available ? 'True' : 'False', reason: row.reason, message: row.message(facts.detail) },
      {
        type: 'CertificatesAvailable',
        status: facts.phase === 'WaitingForCluster' ? 'Unknown' : 'True',
        reason: facts.phase === 'WaitingForCluster' ? 'WaitingForCluster' : 'Available',
      },
      { type: 'RollingOut', status: 'False', reason: 'NotRollingOut' },
      {
        type: 'ScalingUp',
        status: scaling && facts.desiredReplicas > 1 ? 'True' : 'False',
        reason: scaling && facts.desiredReplicas > 1 ? 'NotSupported' : 'NotScalingUp',
        message: facts.desiredReplicas > 1 ? scaling : undefined,
      },
      {
        type: 'ScalingDown',
        status: scaling && facts.desiredReplicas < 1 ? 'True' : 'False',
        reason: scaling && facts.desiredReplicas < 1 ? 'NotSupported' : 'NotScalingDown',
        message: facts.desiredReplicas < 1 ? scaling : undefined,
      },
      { type: 'Deleting', status: deleting ? 'True' : 'False', reason: deleting ? 'Deleting' : 'NotDeleting' },
      { type: 'Paused', status: 'False', reason: 'NotPaused' },
    ],
  };
}

/** Why a declared version cannot run, or undefined when the binaries are that version. */
export function versionProblem(declared: string, binaries: string, binDir: string): string | undefined {
  const normalized = declared.startsWith('v') ? declared : `v${declared}`;
  if (normalized === binaries) return undefined;
  return `version ${declared} cannot run: the local binaries in ${binDir} are Kubernetes ${binaries}, and the local provider never runs one version as another; declare ${binaries}`;
}
