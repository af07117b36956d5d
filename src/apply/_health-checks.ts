/**
 * Building blocks of the health table (health.ts): reading fields and conditions of an object, and
 * the checks that rows of the table are made of. Private to src/apply.
 */
import type { Health, HealthStatus } from './health.js';

export type Obj = Record<string, unknown>;

/** A step of a rule: a verdict when it decides, or undefined to hand over to the next step. */
export type Check = (o: Obj) => Health | undefined;

/** One row of the table: checks in order, first verdict wins; when all pass, the object is Current. */
export interface Rule {
  checks: Check[];
  /** The message of a Current object. */
  ready: (o: Obj) => string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

// ---- reading objects ----------------------------------------------------------------------

export function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

export function num(o: unknown, ...path: string[]): number | undefined {
  const v = get(o, ...path);
  return typeof v === 'number' ? v : undefined;
}

export function str(o: unknown, ...path: string[]): string | undefined {
  const v = get(o, ...path);
  return typeof v === 'string' ? v : undefined;
}

export function conditions(o: Obj): Condition[] {
  const list = get(o, 'status', 'conditions');
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => typeof c?.type === 'string' && typeof c?.status === 'string');
}

export function condition(o: Obj, type: string): Condition | undefined {
  return conditions(o).find((c) => c.type === type);
}

/** Folds a multi-line Cluster API condition message (nested `*` bullets) into one line. */
export function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s*/, '').trim())
    .filter((l) => l !== '');
  return lines.reduce((acc, l, i) => (i === 0 ? l : acc + (acc.endsWith(':') ? ' ' : '; ') + l), '');
}

export function describe(c: Condition): string {
  const reason = c.reason ? ` (${c.reason})` : '';
  const message = c.message ? `: ${oneLine(c.message)}` : '';
  return `${c.type}=${c.status}${reason}${message}`;
}

export const health = (status: HealthStatus, message: string): Health => ({ status, message });

// ---- building blocks for rows -------------------------------------------------------------

/** Needs condition `type` True (and observed at the current generation); anything else is InProgress. */
export function needCondition(type: string, opts: { whenMissing?: 'pass' | 'wait' } = {}): Check {
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
export function failOnCondition(type: string, status: string, reasons?: string[]): Check {
  return (o) => {
    const c = condition(o, type);
    if (c?.status !== status || (reasons && !reasons.includes(c.reason ?? ''))) return undefined;
    return health('Failed', describe(c));
  };
}

/** Negative-polarity conditions (True means work is under way): the first True one is InProgress. */
export function progressOn(...types: string[]): Check {
  return (o) => {
    const c = types.map((t) => condition(o, t)).find((x) => x?.status === 'True');
    return c && health('InProgress', describe(c));
  };
}

/** Needs `status.phase` to be `phase`; `failed` phases are Failed, any other is InProgress. */
export function needPhase(phase: string, failed: string[] = []): Check {
  return (o) => {
    const actual = str(o, 'status', 'phase') ?? '';
    if (actual === phase) return undefined;
    if (failed.includes(actual)) return health('Failed', `phase ${actual}`);
    return health('InProgress', actual ? `phase ${actual}, waiting for ${phase}` : `waiting for phase ${phase}`);
  };
}

/** Failed when `status.phase` is one of `phases` (deprecated Cluster API phases kept for conversion). */
export function failOnPhase(...phases: string[]): Check {
  return (o) => {
    const phase = str(o, 'status', 'phase');
    return phase && phases.includes(phase) ? health('Failed', `phase ${phase}`) : undefined;
  };
}

/** Failed when a Cluster API object carries the v1beta1 terminal failure fields (kept under status.deprecated). */
export const capiV1beta1Failure: Check = (o) => {
  const reason = str(o, 'status', 'deprecated', 'v1beta1', 'failureReason');
  const message = str(o, 'status', 'deprecated', 'v1beta1', 'failureMessage');
  if (!reason && !message) return undefined;
  return health('Failed', [reason, message && oneLine(message)].filter(Boolean).join(': '));
};

export type Desired = (o: Obj) => number | undefined;
export const specReplicas = (o: Obj): number => num(o, 'spec', 'replicas') ?? 1;
/** Cluster API MachineDeployments may leave spec.replicas to an autoscaler; then counts are not checked. */
export const specReplicasIfSet: Desired = (o) => num(o, 'spec', 'replicas');

/** InProgress while `status[field]` is below the desired count. */
export function reach(field: string, label: string, desired: Desired = specReplicas): Check {
  return (o) => {
    const want = desired(o);
    const have = num(o, 'status', field) ?? 0;
    return want !== undefined && have < want ? health('InProgress', `${label}: ${have}/${want}`) : undefined;
  };
}

/** InProgress while more replicas exist than desired (old ones still terminating, or a scale-down). */
export function noSurplus(desired: Desired = specReplicas, field = 'replicas'): Check {
  return (o) => {
    const want = desired(o);
    const have = num(o, 'status', field) ?? 0;
    return want !== undefined && have > want ? health('InProgress', `pending termination: ${have - want} replicas`) : undefined;
  };
}
