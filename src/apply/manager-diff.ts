import { stringify } from 'yaml';
import { KubeError } from '../kube/client.js';
import { resourcePath } from '../kube/discovery.js';
import type { ManifestSet } from '../model/manifest-set.js';
import { unifiedDiff } from './_line-diff.js';
import { mapLimit } from './_pool.js';
import { ChangeSet, type Action } from './change-set.js';
import { describeObjectError, ImmutableFieldError } from './errors.js';
import { Inventory } from './inventory.js';
import { checkMassPrune, pruneSet } from './manager-prune.js';
import { displayRef } from './object-ref.js';
import { needsApply, planSet, planSets, type Plan, type PlannedObject } from './plan.js';
import type { ResourceManager } from './resource-manager.js';

/** Options of diff (and of `apply --dry-run`). */
export interface DiffOptions {
  /** Also report what prune would delete. @default false */
  prune?: boolean;
  /** @default false */
  allowMassPrune?: boolean;
  /** Largest share of the inventory prune may delete without allowMassPrune. @default 0.5 */
  massPruneThreshold?: number;
  /** Dry-run with conflicts forced, as `apply --force-conflicts` would. @default false */
  force?: boolean;
  /** Report an immutable-field change as a replacement, as `apply --force-replace` would do it. @default false */
  forceReplace?: boolean;
  /** Compute a text diff per changed object. @default true */
  withDiff?: boolean;
}

/** What a dry-run says would happen to one object. */
export interface DryRunOutcome {
  action: Action;
  /** `replaced` when the object would be deleted and created again. */
  reason?: string;
  diff?: string;
}

interface Obj {
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** The object as people compare it: no status, no server bookkeeping in metadata. */
function normalize(obj: Obj): Obj {
  const copy: Obj = { ...obj, metadata: { ...(obj.metadata ?? {}) } };
  delete copy.status;
  for (const key of VOLATILE_METADATA) delete copy.metadata![key];
  return copy;
}

function toText(obj: Obj | undefined): string {
  return obj ? stringify(normalize(obj), { sortMapEntries: true }) : '';
}

/** Sends a server-side dry-run apply of one planned object and compares the result with the live object. */
export async function dryRunObject(rm: ResourceManager, p: PlannedObject, options: DiffOptions = {}): Promise<DryRunOutcome> {
  const withDiff = options.withDiff ?? true;
  const labels = { from: `live/${displayRef(p.ref)}`, to: `desired/${displayRef(p.ref)}` };
  const created = (obj: Obj): DryRunOutcome => ({ action: 'created', diff: withDiff ? unifiedDiff('', toText(obj), labels) : undefined });
  const info = p.info ?? (await rm.discovery.lookup(p.desired.apiVersion, p.desired.kind));
  // Its kind comes from a CRD of this same set that is not there yet: it can only be created.
  if (!info) return created(p.desired);
  const path = resourcePath(info, p.ref.namespace, p.ref.name);
  let result: Obj;
  let status: number;
  try {
    const res = await rm.api.request<Obj>({
      verb: 'apply',
      method: 'PATCH',
      path,
      query: { fieldManager: rm.fieldManager, force: options.force ? 'true' : undefined, dryRun: 'All' },
      contentType: 'application/apply-patch+yaml',
      body: p.desired,
    });
    result = res.body;
    status = res.status;
  } catch (error) {
    // The namespace is created by this same set and does not exist yet.
    if (error instanceof KubeError && error.status === 404 && p.ref.namespace) return created(p.desired);
    const described = describeObjectError(p.ref, error);
    if (described instanceof ImmutableFieldError && options.forceReplace) return { action: 'configured', reason: 'replaced' };
    throw described;
  }
  if (status === 201) return created(result);
  let live: Obj;
  try {
    live = (await rm.api.request<Obj>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return created(result);
    throw describeObjectError(p.ref, error);
  }
  const before = toText(live);
  const after = toText(result);
  if (before === after) return { action: 'unchanged' };
  return { action: 'configured', diff: withDiff ? unifiedDiff(before, after, labels) : undefined };
}

/**
 * Diffs a set against the cluster: objects unchanged since the last apply cost no request; the
 * others get a server-side dry-run apply and a GET of the live object. Changes nothing.
 */
export async function diffSet(rm: ResourceManager, set: ManifestSet, options: DiffOptions = {}): Promise<ChangeSet> {
  const inventory = await Inventory.read(rm.api, set.id, rm.inventoryNamespace);
  return diffPlan(rm, await planSet(rm.api, rm.discovery, set, inventory, { concurrency: rm.concurrency, prerequisiteCrds: rm.prerequisiteCrds }), options);
}

/** Diffs several sets planned together (see applySets); a set that cannot be planned is reported as its error. */
export async function diffSets(rm: ResourceManager, sets: ManifestSet[], options: DiffOptions = {}): Promise<ChangeSet> {
  const all = new ChangeSet(true);
  if (sets.length === 0) return all;
  const inventories = await Inventory.readAll(rm.api, sets.map((s) => s.id), rm.inventoryNamespace);
  const plans = await planSets(rm.api, rm.discovery, sets, inventories, { concurrency: rm.concurrency, prerequisiteCrds: rm.prerequisiteCrds });
  const results = await mapLimit(plans, 4, async (plan) => {
    const cs = new ChangeSet(true);
    if (plan instanceof Error) {
      cs.fail(plan.setId, plan.message);
      return cs;
    }
    try {
      return await diffPlan(rm, plan, options);
    } catch (error) {
      cs.fail(plan.set.id, error instanceof Error ? error.message : String(error));
      return cs;
    }
  });
  for (const cs of results) all.merge(cs);
  return all;
}

/** Diffs one planned set (see diffSet). */
export async function diffPlan(rm: ResourceManager, plan: Plan, options: DiffOptions = {}): Promise<ChangeSet> {
  const set = plan.set;
  const cs = new ChangeSet(true);
  if (options.prune) checkMassPrune(plan, options);
  let done = 0;
  const outcomes = await mapLimit(plan.objects, rm.concurrency, async (p) => {
    let outcome: DryRunOutcome | Error;
    try {
      outcome = needsApply(p) ? await dryRunObject(rm, p, options) : { action: 'unchanged' };
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    rm.onProgress({ set: set.id, verb: 'diff', done: ++done, total: plan.objects.length });
    return outcome;
  });
  plan.objects.forEach((p, i) => {
    const outcome = outcomes[i];
    if (outcome instanceof Error) cs.fail(set.id, outcome.message, p.ref);
    else cs.add(set.id, p.ref, outcome.action, { ...(outcome.reason ? { reason: outcome.reason } : {}), ...(outcome.diff ? { diff: outcome.diff } : {}) });
  });
  if (options.prune) await pruneSet(rm, plan, cs, { dryRun: true });
  return cs;
}
