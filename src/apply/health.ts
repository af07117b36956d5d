/**
 * Readiness of a Kubernetes object, in the manner of kstatus: a table of rules keyed by kind,
 * behind generic rules that every object passes first (deletion, observedGeneration, Stalled,
 * Reconciling), with the standard `Ready` condition as the fallback for kinds without a row.
 */

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

type Obj = Record<string, unknown>;

/** A step of a rule: a verdict when it decides, or undefined to hand over to the next step. */
type Check = (o: Obj) => Health | undefined;

/** One row of the table: checks in order, first verdict wins; when all pass, the object is Current. */
interface Rule {
  checks: Check[];
  /** The message of a Current object. */
  ready: (o: Obj) => string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

// ---- reading objects ----------------------------------------------------------------------

function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

function num(o: unknown, ...path: string[]): number | undefined {
  const v = get(o, ...path);
  return typeof v === 'number' ? v : undefined;
}

function str(o: unknown, ...path: string[]): string | undefined {
  const v = get(o, ...path);
  return typeof v === 'string' ? v : undefined;
}

function conditions(o: Obj): Condition[] {
  const list = get(o, 'status', 'conditions');
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => typeof c?.type === 'string' && typeof c?.status === 'string');
}

function condition(o: Obj, type: string): Condition | undefined {
  return conditions(o).find((c) => c.type === type);
}

/** Folds a multi-line Cluster API condition message (nested `*` bullets) into one line. */
function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s*/, '').trim())
    .filter((l) => l !== '');
  return lines.reduce((acc, l, i) => (i === 0 ? l : acc + (acc.endsWith(':') ? ' ' : '; ') + l), '');
}

function describe(c: Condition): string {
  const reason = c.reason ? ` (${c.reason})` : '';
  const message = c.message ? `: ${oneLine(c.message)}` : '';
  return `${c.type}=${c.status}${reason}${message}`;
}

const health = (status: HealthStatus, message: string): Health => ({ status, message });

// ---- building blocks for rows -------------------------------------------------------------

/** Needs condition `type` True (and observed at the current generation); anything else is InProgress. */
function needCondition(type: string, opts: { whenMissing?: 'pass' | 'wait' } = {}): Check {
  return (o) => {
    const c = condition(o, type);
    if (!c) return opts.whenMissing === 'pass' ? undefined : health('InProgress', `waiting for condition ${type}`);
    const generation = num(o, 'metadata', 'generation');
    if (c.observedGeneration !== undefined && generation !== undefined && c.observedGeneration < generation) {
      return health('InProgress', `condition ${type} reflects generation ${c.observedGeneration}, object is at ${generation}`);
    }
    return c.status === 'True' ? undefined : health('InProgress', describe(c));
  };
}

/** Failed when condition `type` has `status` (and, if given, one of `reasons`). */
function failOnCondition(type: string, status: string, reasons?: string[]): Check {
  return (o) => {
    const c = condition(o, type);
    if (c?.status !== status || (reasons && !reasons.includes(c.reason ?? ''))) return undefined;
    return health('Failed', describe(c));
  };
}

/** Negative-polarity conditions (True means work is under way): the first True one is InProgress. */
function progressOn(...types: string[]): Check {
  return (o) => {
    const c = types.map((t) => condition(o, t)).find((x) => x?.status === 'True');
    return c && health('InProgress', describe(c));
  };
}

/** Needs `status.phase` to be `phase`; `failed` phases are Failed, any other is InProgress. */
function needPhase(phase: string, failed: string[] = []): Check {
  return (o) => {
    const actual = str(o, 'status', 'phase') ?? '';
    if (actual === phase) return undefined;
    if (failed.includes(actual)) return health('Failed', `phase ${actual}`);
    return health('InProgress', actual ? `phase ${actual}, waiting for ${phase}` : `waiting for phase ${phase}`);
  };
}

/** Failed when `status.phase` is one of `phases` (deprecated Cluster API phases kept for conversion). */
function failOnPhase(...phases: string[]): Check {
  return (o) => {
    const phase = str(o, 'status', 'phase');
    return phase && phases.includes(phase) ? health('Failed', `phase ${phase}`) : undefined;
  };
}

/** Failed when a Cluster API object carries the v1beta1 terminal failure fields (kept under status.deprecated). */
const capiV1beta1Failure: Check = (o) => {
  const reason = str(o, 'status', 'deprecated', 'v1beta1', 'failureReason');
  const message = str(o, 'status', 'deprecated', 'v1beta1', 'failureMessage');
  if (!reason && !message) return undefined;
  return health('Failed', [reason, message && oneLine(message)].filter(Boolean).join(': '));
};

type Desired = (o: Obj) => number | undefined;
const specReplicas = (o: Obj): number => num(o, 'spec', 'replicas') ?? 1;
/** Cluster API MachineDeployments may leave spec.replicas to an autoscaler; then counts are not checked. */
const specReplicasIfSet: Desired = (o) => num(o, 'spec', 'replicas');

/** InProgress while `status[field]` is below the desired count. */
function reach(field: string, label: string, desired: Desired = specReplicas): Check {
  return (o) => {
    const want = desired(o);
    const have = num(o, 'status', field) ?? 0;
    return want !== undefined && have < want ? health('InProgress', `${label}: ${have}/${want}`) : undefined;
  };
}

/** InProgress while more replicas exist than desired (old ones still terminating, or a scale-down). */
function noSurplus(desired: Desired = specReplicas, field = 'replicas'): Check {
  return (o) => {
    const want = desired(o);
    const have = num(o, 'status', field) ?? 0;
    return want !== undefined && have > want ? health('InProgress', `pending termination: ${have - want} replicas`) : undefined;
  };
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
