/**
 * Readiness of a Kubernetes object, in the manner of kstatus: a table of rules keyed by kind,
 * behind generic rules that every object passes first (deletion, observedGeneration, Stalled,
 * Reconciling), with the standard `Ready` condition as the fallback for kinds without a row.
 */
import { capiV1beta1Failure, condition, conditions, describe, failOnCondition, failOnPhase, get, health, needCondition, needPhase, noSurplus, num, oneLine, progressOn, reach, specReplicas, specReplicasIfSet, str, type Check, type Condition, type Desired, type Obj, type Rule } from './_health-checks.js';

/** Every health status an object can have; the apply engine, CLI and reports speak only these. */
export const HEALTH_STATUSES = ['Current', 'InProgress', 'Failed', 'Terminating', 'NotFound', 'Unknown'] as const;

/**
 * Current: reconciled and ready. InProgress: still converging. Failed: needs a person. Terminating:
 * deletion requested. NotFound: not on the server (reported by the wait loop). Unknown: could not be read.
 */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** The health of one object with a one-line reason a person can act on. */
export interface Health {
  status: HealthStatus;
  message: string;
}


// ---- kind-specific checks that do not reduce to the blocks above ---------------------------

const deploymentOldReplicas: Check = (o) => {
  const total = num(o, 'status', 'replicas') ?? 0;
  const updated = num(o, 'status', 'updatedReplicas') ?? 0;
  return total > updated ? health('InProgress', `pending termination: ${total - updated} old replicas`) : undefined;
};

const statefulSetRollout: Check = (o) => {
  const strategy = get(o, 'spec', 'updateStrategy') as Obj | undefined;
  if (strategy?.type === 'OnDelete') return undefined;
  const partition = num(strategy, 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) return reach('updatedReplicas', 'updated (partitioned)', (x) => specReplicas(x) - partition)(o);
  const current = str(o, 'status', 'currentRevision');
  const update = str(o, 'status', 'updateRevision');
  return current !== update ? health('InProgress', `rolling update: revision ${update ?? '?'} replacing ${current ?? '?'}`) : undefined;
};

const daemonSetDesired: Desired = (o) => num(o, 'status', 'desiredNumberScheduled') ?? 0;
const daemonSetUpdated: Check = (o) =>
  str(o, 'spec', 'updateStrategy', 'type') === 'OnDelete'
    ? undefined
    : reach('updatedNumberScheduled', 'updated', daemonSetDesired)(o);

/** Container waiting reasons that do not resolve without a change to the object. */
const FATAL_WAITING_REASONS = ['CrashLoopBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

const podState: Check = (o) => {
  const phase = str(o, 'status', 'phase');
  if (phase === 'Succeeded') return health('Current', 'Pod succeeded');
  if (phase === 'Failed') {
    const why = [str(o, 'status', 'reason'), str(o, 'status', 'message')].filter(Boolean).join(': ');
    return health('Failed', `Pod failed${why ? `: ${why}` : ''}`);
  }
  const statuses = [
    ...((get(o, 'status', 'initContainerStatuses') as Obj[] | undefined) ?? []),
    ...((get(o, 'status', 'containerStatuses') as Obj[] | undefined) ?? []),
  ];
  for (const cs of statuses) {
    const reason = str(cs, 'state', 'waiting', 'reason');
    if (!reason || reason === 'ContainerCreating' || reason === 'PodInitializing') continue;
    const message = str(cs, 'state', 'waiting', 'message');
    const text = `container ${String(cs.name)}: ${reason}${message ? `: ${oneLine(message)}` : ''}`;
    return health(FATAL_WAITING_REASONS.includes(reason) ? 'Failed' : 'InProgress', text);
  }
  const scheduled = condition(o, 'PodScheduled');
  if (scheduled?.status === 'False') return health('InProgress', describe(scheduled));
  return undefined;
};

const jobState: Check = (o) => {
  const failed = ['Failed', 'FailureTarget'].map((t) => condition(o, t)).find((c) => c?.status === 'True');
  if (failed) return health('Failed', describe(failed));
  if (['Complete', 'SuccessCriteriaMet'].some((t) => condition(o, t)?.status === 'True')) return undefined;
  if (condition(o, 'Suspended')?.status === 'True') return health('Current', 'Job is suspended');
  const count = (f: string) => num(o, 'status', f) ?? 0;
  return health('InProgress', `Job running: active ${count('active')}, succeeded ${count('succeeded')}, failed ${count('failed')}`);
};

const loadBalancerIngress: Check = (o) => {
  if (str(o, 'spec', 'type') !== 'LoadBalancer') return undefined;
  const ingress = get(o, 'status', 'loadBalancer', 'ingress');
  return Array.isArray(ingress) && ingress.length > 0 ? undefined : health('InProgress', 'waiting for load balancer ingress');
};

/** Cluster API Cluster conditions that explain a missing `Available`, most telling first. */
const CLUSTER_AVAILABILITY_PARTS = ['InfrastructureReady', 'ControlPlaneAvailable', 'WorkersAvailable', 'RemoteConnectionProbe'];

const clusterAvailable: Check = (o) => {
  const phase = str(o, 'status', 'phase');
  const available = condition(o, 'Available');
  if (!available) {
    // Only objects written by a controller without v1beta2 conditions get here; the phase is all there is.
    return phase === 'Provisioned' ? undefined : health('InProgress', `phase ${phase ?? 'unset'}, waiting for condition Available`);
  }
  const stale = needCondition('Available')(o);
  if (!stale || available.status === 'True') return stale;
  const part = CLUSTER_AVAILABILITY_PARTS.map((t) => condition(o, t)).find((c) => c && c.status !== 'True');
  const prefix = phase ? `phase ${phase}; ` : '';
  return health('InProgress', prefix + describe(part ?? available));
};

const ROLLOUT_HINTS = ['RollingOut', 'ScalingUp', 'ScalingDown', 'Remediating'];

const replicaSummary = (label: string, desired: Desired) => (o: Obj) => {
  const want = desired(o);
  return `${label}: ${num(o, 'status', 'readyReplicas') ?? 0}/${want ?? num(o, 'status', 'replicas') ?? 0} replicas ready`;
};

// ---- the table ------------------------------------------------------------------------------

/**
 * Rules by kind. Keys are `group/Kind` (`Kind` for the core group), or `group/version/Kind` where a
 * rule reads fields of one API version only: the Cluster API rows read v1beta2 status, and older
 * Cluster API versions fall back to the generic `Ready` rule, which is their summary condition.
 */
const RULES: Record<string, Rule> = {
  'apps/Deployment': {
    checks: [
      failOnCondition('Progressing', 'False', ['ProgressDeadlineExceeded']),
      reach('updatedReplicas', 'updated'),
      deploymentOldReplicas,
      reach('availableReplicas', 'available'),
      reach('readyReplicas', 'ready'),
    ],
    ready: replicaSummary('Deployment available', specReplicas),
  },
  'apps/StatefulSet': {
    checks: [reach('readyReplicas', 'ready'), statefulSetRollout, noSurplus()],
    ready: replicaSummary('StatefulSet ready', specReplicas),
  },
  'apps/DaemonSet': {
    checks: [
      reach('currentNumberScheduled', 'scheduled', daemonSetDesired),
      daemonSetUpdated,
      reach('numberAvailable', 'available', daemonSetDesired),
      reach('numberReady', 'ready', daemonSetDesired),
    ],
    ready: (o) => `DaemonSet ready on ${daemonSetDesired(o)} nodes`,
  },
  'apps/ReplicaSet': {
    checks: [
      progressOn('ReplicaFailure'),
      reach('fullyLabeledReplicas', 'labelled'),
      reach('availableReplicas', 'available'),
      reach('readyReplicas', 'ready'),
      noSurplus(),
    ],
    ready: replicaSummary('ReplicaSet available', specReplicas),
  },
  Pod: { checks: [podState, needCondition('Ready')], ready: () => 'Pod is ready' },
  'batch/Job': { checks: [jobState], ready: (o) => `Job complete: succeeded ${num(o, 'status', 'succeeded') ?? 0}` },
  PersistentVolumeClaim: { checks: [needPhase('Bound', ['Lost'])], ready: () => 'PVC is bound' },
  Service: {
    checks: [loadBalancerIngress],
    ready: (o) => (str(o, 'spec', 'type') === 'LoadBalancer' ? 'load balancer has ingress' : 'Service is ready'),
  },
  Namespace: { checks: [needPhase('Active')], ready: () => 'Namespace is active' },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    checks: [failOnCondition('NamesAccepted', 'False'), needCondition('NamesAccepted'), needCondition('Established')],
    ready: () => 'CRD is established',
  },
  'cluster.x-k8s.io/v1beta2/Cluster': {
    checks: [
      capiV1beta1Failure,
      failOnPhase('Failed'),
      clusterAvailable,
      progressOn(...ROLLOUT_HINTS),
      needCondition('TopologyReconciled', { whenMissing: 'pass' }),
    ],
    ready: () => 'Cluster is available',
  },
  'controlplane.cluster.x-k8s.io/v1beta2/KubeadmControlPlane': {
    checks: [
      capiV1beta1Failure,
      needCondition('Available'),
      progressOn(...ROLLOUT_HINTS),
      reach('readyReplicas', 'ready'),
      reach('availableReplicas', 'available'),
      reach('upToDateReplicas', 'up-to-date'),
      noSurplus(),
    ],
    ready: replicaSummary('KubeadmControlPlane available', specReplicas),
  },
  'cluster.x-k8s.io/v1beta2/MachineDeployment': {
    checks: [
      failOnPhase('Failed'),
      needCondition('Available'),
      progressOn(...ROLLOUT_HINTS),
      reach('readyReplicas', 'ready', specReplicasIfSet),
      reach('availableReplicas', 'available', specReplicasIfSet),
      reach('upToDateReplicas', 'up-to-date', specReplicasIfSet),
      noSurplus(specReplicasIfSet),
    ],
    ready: replicaSummary('MachineDeployment available', specReplicasIfSet),
  },
  'cluster.x-k8s.io/v1beta2/Machine': {
    checks: [capiV1beta1Failure, failOnPhase('Failed'), needCondition('Ready')],
    ready: (o) => `Machine is ready${str(o, 'status', 'nodeRef', 'name') ? ` as node ${str(o, 'status', 'nodeRef', 'name')}` : ''}`,
  },
  'clusterops.io/WorkloadCluster': { checks: [needCondition('Ready')], ready: () => 'WorkloadCluster is ready' },
};

/** Kinds without a row: Ready decides when present, anything else (including no status) is Current. */
const GENERIC: Rule = { checks: [needCondition('Ready', { whenMissing: 'pass' })], ready: () => 'Resource is current' };

/** Checks every object passes before its row: deletion, a controller behind the spec, kstatus conditions. */
const PRELUDE: Check[] = [
  (o) => {
    const since = str(o, 'metadata', 'deletionTimestamp');
    const finalizers = get(o, 'metadata', 'finalizers');
    const waiting = Array.isArray(finalizers) && finalizers.length > 0 ? `; finalizers: ${finalizers.join(', ')}` : '';
    return since ? health('Terminating', `deletion requested at ${since}${waiting}`) : undefined;
  },
  (o) => {
    const generation = num(o, 'metadata', 'generation');
    const observed = num(o, 'status', 'observedGeneration');
    return generation !== undefined && observed !== undefined && observed < generation
      ? health('InProgress', `controller has observed generation ${observed}, object is at ${generation}`)
      : undefined;
  },
  failOnCondition('Stalled', 'True'),
  progressOn('Reconciling'),
];

/** The row that decides health for objects of this apiVersion and kind, if any. */
function ruleFor(apiVersion: string, kind: string): Rule | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return RULES[`${apiVersion}/${kind}`] ?? RULES[group ? `${group}/${kind}` : kind];
}

/** Computes the health of one object as read from the API server. */
export function objectHealth(obj: Record<string, unknown>): Health {
  const apiVersion = str(obj, 'apiVersion');
  const kind = str(obj, 'kind');
  if (!apiVersion || !kind) return health('Unknown', 'object has no apiVersion or kind');
  const rule = ruleFor(apiVersion, kind) ?? GENERIC;
  for (const check of [...PRELUDE, ...rule.checks]) {
    const verdict = check(obj);
    if (verdict) return verdict;
  }
  return health('Current', rule.ready(obj));
}
