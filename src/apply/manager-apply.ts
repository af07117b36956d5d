import { KubeError } from '../kube/client.js';
import { resourcePath, splitApiVersion, type ResourceInfo } from '../kube/discovery.js';
import { ADDON_LABEL, type ManifestSet } from '../model/manifest-set.js';
import { mapLimit } from './_pool.js';
import { ChangeSet, type Action } from './change-set.js';
import { waitForCrdsEstablished } from './crd-established.js';
import { describeObjectError, ImmutableFieldError } from './errors.js';
import { Inventory, type InventoryEntry } from './inventory.js';
import { dryRunObject } from './manager-diff.js';
import { checkMassPrune, pruneSet, type PruneOptions } from './manager-prune.js';
import { displayRef } from './object-ref.js';
import { protectionReason } from './prune-guards.js';
import { isSubset, needsApply, planSet, planSets, type Plan, type PlannedObject } from './plan.js';
import type { ResourceManager } from './resource-manager.js';

/** ManifestSets applied at the same time by applySets. */
const SET_CONCURRENCY = 4;

/** Options of apply. */
export interface ApplyOptions {
  /** Take over fields owned by other field managers. @default false */
  force?: boolean;
  /** Delete and create again an object whose immutable fields changed (never a protected one). @default false */
  forceReplace?: boolean;
  /** Server-side dry-run: report what would change, change nothing. @default false */
  dryRun?: boolean;
  /** Delete members of the previous inventory that the set no longer declares. @default false */
  prune?: boolean;
  /** Allow a prune of more than massPruneThreshold of the inventory. @default false */
  allowMassPrune?: boolean;
  /** @default 0.5 */
  massPruneThreshold?: number;
  /** Prune candidates to keep, by their live labels (see PruneOptions.retain). */
  retain?: PruneOptions['retain'];
}

interface AppliedObject {
  action: Action;
  reason?: string;
  record: InventoryEntry;
}

interface LiveObject {
  metadata: {
    uid: string;
    resourceVersion: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
}

/** The add-on of a planned object, as its inventory entry records it. */
function addonOf(p: PlannedObject): Pick<InventoryEntry, 'addon'> {
  const addon = p.desired.metadata.labels?.[ADDON_LABEL];
  return addon ? { addon } : {};
}

function recordOf(p: PlannedObject, obj: LiveObject): InventoryEntry {
  return {
    ref: p.ref,
    hash: p.hash,
    uid: obj.metadata.uid,
    generation: obj.metadata.generation,
    resourceVersion: obj.metadata.resourceVersion,
    version: splitApiVersion(p.desired.apiVersion).version,
    ...addonOf(p),
  };
}

/** An unchanged member as recorded, with its add-on (an inventory written before add-ons were recorded gains them). */
function unchangedRecord(p: PlannedObject): InventoryEntry {
  const { addon: _, ...recorded } = p.recorded!;
  return { ...recorded, ...addonOf(p) };
}

/** A member whose apply has not (successfully) happened: remembered without a hash so the next run applies it. */
function pendingRecord(p: PlannedObject): InventoryEntry {
  return p.recorded ? { ...unchangedRecord(p), hash: undefined } : { ref: p.ref, version: splitApiVersion(p.desired.apiVersion).version, ...addonOf(p) };
}

async function serverSideApply(rm: ResourceManager, p: PlannedObject, info: ResourceInfo, force: boolean) {
  rm.liveCache?.applying(p.key);
  try {
    const res = await sendApply(rm, p, info, force);
    rm.liveCache?.applied(p.key, res.body.metadata);
    return res;
  } catch (error) {
    rm.liveCache?.applyFailed(p.key);
    throw error;
  }
}

function sendApply(rm: ResourceManager, p: PlannedObject, info: ResourceInfo, force: boolean) {
  return rm.api.request<LiveObject>({
    verb: 'apply',
    method: 'PATCH',
    path: resourcePath(info, p.ref.namespace, p.ref.name),
    query: { fieldManager: rm.fieldManager, force: force ? 'true' : undefined },
    contentType: 'application/apply-patch+yaml',
    body: p.desired,
  });
}

/** Deletes a live object (never a protected one) and waits until it is gone, for --force-replace. */
async function deleteForReplace(rm: ResourceManager, p: PlannedObject, info: ResourceInfo): Promise<void> {
  const path = resourcePath(info, p.ref.namespace, p.ref.name);
  const live = (await rm.api.request<LiveObject>({ verb: 'get', method: 'GET', path })).body;
  // The same guard table as prune: a protected object is never deleted to be replaced.
  const protectedBy = protectionReason(live.metadata.annotations ?? {});
  if (protectedBy) throw new Error(`${displayRef(p.ref)}: protected (${protectedBy}); not replaced`);
  await rm.api.request({
    verb: 'delete',
    method: 'DELETE',
    path,
    body: {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Foreground',
      preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion },
    },
  });
  const deadline = Date.now() + rm.waitTimeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await rm.api.request({ verb: 'get', method: 'GET', path });
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${displayRef(p.ref)}: still being deleted after ${rm.waitTimeoutMs} ms; not replaced`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Whether our apply changed the object. For kinds with a generation, that is a new generation or
 * metadata of ours that the live object lacked: the resourceVersion alone would also count the
 * status writes of a controller (Cluster API's, say) made between our list and our apply.
 */
function changedByApply(p: PlannedObject, applied: LiveObject): boolean {
  if (!p.live) return true;
  const generation = applied.metadata.generation;
  if (p.live.generation === undefined || generation === undefined) return p.live.resourceVersion !== applied.metadata.resourceVersion;
  if (generation !== p.live.generation) return true;
  return !isSubset(p.desired.metadata.labels, p.live.labels) || !isSubset(p.desired.metadata.annotations, p.live.annotations);
}

/** Applies one object and says what happened to it. */
async function applyObject(rm: ResourceManager, p: PlannedObject, options: ApplyOptions): Promise<AppliedObject> {
  const info = p.info ?? (await rm.discovery.resolve(p.desired.apiVersion, p.desired.kind));
  try {
    const res = await serverSideApply(rm, p, info, options.force ?? false);
    const action: Action = res.status === 201 ? 'created' : changedByApply(p, res.body) ? 'configured' : 'unchanged';
    return { action, record: recordOf(p, res.body) };
  } catch (error) {
    const described = describeObjectError(p.ref, error);
    if (!(described instanceof ImmutableFieldError && options.forceReplace)) throw described;
  }
  // The delete is ours: what the watch sees of it waits for the apply that follows.
  rm.liveCache?.applying(p.key);
  try {
    await deleteForReplace(rm, p, info);
  } catch (error) {
    rm.liveCache?.applyFailed(p.key);
    throw error;
  }
  try {
    const res = await serverSideApply(rm, p, info, options.force ?? false);
    return { action: 'configured', reason: 'replaced', record: recordOf(p, res.body) };
  } catch (error) {
    throw describeObjectError(p.ref, error);
  }
}

/**
 * Applies a ManifestSet: plans from the inventory and one list per kind, then applies only what
 * changed or drifted, stage by stage in apply order with bounded concurrency, waiting for the set's
 * CRDs to be Established before objects of their kinds. The inventory is written before the first
 * object (so an interrupted run leaves nothing untracked) and after the last, and not at all when
 * nothing changed. Prune runs only when asked and only after an apply without errors.
 */
export async function applySet(rm: ResourceManager, set: ManifestSet, options: ApplyOptions = {}): Promise<ChangeSet> {
  if (!options.dryRun) await rm.installPrerequisites();
  const inventory = await Inventory.read(rm.api, set.id, rm.inventoryNamespace);
  return applyPlan(rm, await planSet(rm.api, rm.discovery, set, inventory, { concurrency: rm.concurrency, prerequisiteCrds: rm.prerequisiteCrds, cache: options.dryRun ? undefined : rm.liveCache }), options);
}

/**
 * Applies several sets, up to four at a time, planned together (one inventory read and one list
 * per kind for all of them). A set that cannot be applied at all (a kind not served, a refused mass
 * prune) is reported as an error of that set; the others still run. A failed read throws.
 */
export async function applySets(rm: ResourceManager, sets: ManifestSet[], options: ApplyOptions = {}): Promise<ChangeSet> {
  const all = new ChangeSet(options.dryRun ?? false);
  if (sets.length === 0) return all;
  const inventories = await Inventory.readAll(rm.api, sets.map((s) => s.id), rm.inventoryNamespace);
  if (!options.dryRun) await rm.installPrerequisites();
  const plans = await planSets(rm.api, rm.discovery, sets, inventories, { concurrency: rm.concurrency, prerequisiteCrds: rm.prerequisiteCrds, cache: options.dryRun ? undefined : rm.liveCache });
  // Sets are independent (own namespaces, own inventory): apply a few at once, report in set order.
  const results = await mapLimit(plans, SET_CONCURRENCY, async (plan) => {
    const cs = new ChangeSet(options.dryRun ?? false);
    if (plan instanceof Error) {
      cs.fail(plan.setId, plan.message);
      return cs;
    }
    try {
      return await applyPlan(rm, plan, options);
    } catch (error) {
      cs.fail(plan.set.id, error instanceof Error ? error.message : String(error));
      return cs;
    }
  });
  for (const cs of results) all.merge(cs);
  return all;
}

/** Applies one planned set (see applySet). */
export async function applyPlan(rm: ResourceManager, plan: Plan, options: ApplyOptions = {}): Promise<ChangeSet> {
  if (options.dryRun) return dryRunPlan(rm, plan, options);
  const set = plan.set;
  const cs = new ChangeSet(false);
  let inventory = plan.inventory;
  if (options.prune) checkMassPrune(plan, options);

  const results = new Map<string, AppliedObject>();
  const records = new Map<string, InventoryEntry>();
  for (const p of plan.objects) if (!needsApply(p)) records.set(p.key, unchangedRecord(p));
  const toApply = plan.objects.filter(needsApply);

  if (toApply.some((p) => !p.recorded)) {
    inventory = await inventory.write(
      rm.api,
      [...inventory.entries.values(), ...toApply.filter((p) => !p.recorded).map(pendingRecord)],
      rm.fieldManager,
    );
  }

  let failed = false;
  const failedKeys = new Set<string>();
  let done = plan.objects.length - toApply.length;
  const stages = new Map<number, PlannedObject[]>();
  for (const p of toApply) {
    const stage = stages.get(p.rank);
    if (stage) stage.push(p);
    else stages.set(p.rank, [p]);
  }
  for (const rank of [...stages.keys()].sort((a, b) => a - b)) {
    const stage = stages.get(rank)!;
    if (failed) {
      for (const p of stage) records.set(p.key, pendingRecord(p));
      continue;
    }
    await mapLimit(stage, rm.concurrency, async (p) => {
      try {
        const result = await applyObject(rm, p, options);
        results.set(p.key, result);
        records.set(p.key, result.record);
      } catch (error) {
        failed = true;
        failedKeys.add(p.key);
        records.set(p.key, pendingRecord(p));
        cs.fail(set.id, error instanceof Error ? error.message : String(error), p.ref);
      }
      rm.onProgress({ set: set.id, verb: 'apply', done: ++done, total: plan.objects.length });
    });
    const crds = stage.filter((p) => p.ref.kind === 'CustomResourceDefinition' && p.ref.group === 'apiextensions.k8s.io' && results.has(p.key));
    if (!failed && crds.length > 0) {
      try {
        await waitForCrdsEstablished(rm.api, rm.discovery, crds.map((p) => p.desired), rm.waitTimeoutMs);
      } catch (error) {
        failed = true;
        cs.fail(set.id, error instanceof Error ? error.message : String(error));
      }
    }
  }
  if (failed) {
    const notApplied = toApply.filter((p) => !results.has(p.key) && !failedKeys.has(p.key)).length;
    if (notApplied > 0) cs.fail(set.id, `${notApplied} object(s) not applied because an earlier stage failed; fix the error and apply again`);
  }

  for (const p of plan.objects) {
    const result = results.get(p.key);
    if (result) cs.add(set.id, p.ref, result.action, result.reason ? { reason: result.reason } : {});
    else if (!needsApply(p)) cs.add(set.id, p.ref, 'unchanged');
  }

  let kept: InventoryEntry[] = plan.pruneCandidates;
  if (options.prune && failed) {
    cs.fail(set.id, 'prune skipped because the apply had errors');
  } else if (options.prune) {
    try {
      kept = await pruneSet(rm, plan, cs, options);
    } catch (error) {
      cs.fail(set.id, error instanceof Error ? error.message : String(error));
    }
  }

  const final = [...records.values(), ...kept];
  if (!inventory.sameAs(final)) await inventory.write(rm.api, final, rm.fieldManager);
  return cs;
}

/** `apply --dry-run`: a server-side dry-run of what changed, reported without diffs; changes nothing. */
async function dryRunPlan(rm: ResourceManager, plan: Plan, options: ApplyOptions): Promise<ChangeSet> {
  const set = plan.set;
  const cs = new ChangeSet(true);
  if (options.prune) checkMassPrune(plan, options);
  const outcomes = await mapLimit(plan.objects, rm.concurrency, async (p) => {
    if (!needsApply(p)) return { action: 'unchanged' as const };
    try {
      return await dryRunObject(rm, p, { force: options.force, forceReplace: options.forceReplace, withDiff: false });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  plan.objects.forEach((p, i) => {
    const o = outcomes[i];
    if (o instanceof Error) cs.fail(set.id, o.message, p.ref);
    else cs.add(set.id, p.ref, o.action, o.reason ? { reason: o.reason } : {});
  });
  if (options.prune) await pruneSet(rm, plan, cs, { ...options, dryRun: true });
  return cs;
}
