import { KubeError } from '../kube/client.js';
import { resourcePath, type ResourceInfo } from '../kube/discovery.js';
import { mapLimit } from './_pool.js';
import { stagesOf } from './_stages.js';
import type { ChangeSet } from './change-set.js';
import { MassPruneError, PruneAbortedError } from './errors.js';
import { PART_OF_LABEL, type InventoryEntry } from './inventory.js';
import { listLive, toLiveMeta, type LiveMeta, type ObjectMetadata } from './live-state.js';
import { displayRef, groupKindOf, refKey } from './object-ref.js';
import type { Plan } from './plan.js';
import { keptCandidates } from './prune-guards.js';
import type { ResourceManager } from './resource-manager.js';

/** Options of prune. */
export interface PruneOptions {
  /** Report what would be deleted, delete nothing. @default false */
  dryRun?: boolean;
  /** Allow deleting more than massPruneThreshold of the inventory. @default false */
  allowMassPrune?: boolean;
  /** Largest share of the previous inventory one prune may delete. @default 0.5 */
  massPruneThreshold?: number;
  /**
   * Members to keep although the set no longer declares them, by their live labels: the reason
   * when kept (reported as skipped; they stay in the inventory), undefined to prune as usual. The
   * mass-prune share is then counted without them. @default none
   */
  retain?: (labels: Readonly<Record<string, string>>) => string | undefined;
}

/** Default share of an inventory a prune may delete without allowMassPrune. */
export const MASS_PRUNE_THRESHOLD = 0.5;

/** Whether a prune candidate belongs to an add-on its set no longer declares: a removal stated in git, not an accident. */
export function removedWithItsAddon(plan: Plan, entry: InventoryEntry): boolean {
  return plan.set.addons !== undefined && entry.addon !== undefined && !plan.set.addons.includes(entry.addon);
}

/**
 * Throws MassPruneError when the plan would prune more than the allowed share of the previous
 * inventory. Members of add-ons the set no longer declares are not counted: removing a chart of
 * fifty objects from a cluster's add-ons is what the commit says.
 */
export function checkMassPrune(plan: Plan, options: Pick<PruneOptions, 'allowMassPrune' | 'massPruneThreshold'>, candidates = plan.pruneCandidates.length): void {
  candidates -= plan.pruneCandidates.filter((e) => removedWithItsAddon(plan, e)).length;
  const threshold = options.massPruneThreshold ?? MASS_PRUNE_THRESHOLD;
  const size = plan.inventory.entries.size;
  if (!options.allowMassPrune && candidates > 0 && candidates > threshold * size) {
    throw new MassPruneError(plan.set.id, candidates, size, threshold);
  }
}

interface Candidate {
  entry: InventoryEntry;
  info?: ResourceInfo;
  live?: LiveMeta;
}

/**
 * Deletes the members of the previous inventory that the set no longer declares, in reverse apply
 * order. Only objects that still carry our part-of label are touched; what the guards in
 * prune-guards.ts keep (protected objects, what they stand on, containers that still hold anything
 * prune does not delete) is reported as skipped with the reason and stays in the inventory.
 * Every read happens before the first delete, and any failed read throws PruneAbortedError
 * (nothing deleted). Each delete is conditional on the uid and resourceVersion that were read.
 * Returns the candidates that stay in the inventory.
 */
export async function pruneSet(rm: ResourceManager, plan: Plan, cs: ChangeSet, options: PruneOptions = {}): Promise<InventoryEntry[]> {
  const setId = plan.set.id;
  // With retain, the share is known only once the labels are read (below).
  if (!options.retain) checkMassPrune(plan, options);
  if (plan.pruneCandidates.length === 0) return [];
  const selector = `${PART_OF_LABEL}=${plan.inventory.id}`;
  const candidates: Candidate[] = plan.pruneCandidates.map((entry) => ({ entry }));

  // Reads: resolve kinds, one list per kind, a GET for each candidate the list did not show, then the guards.
  let kept: Map<string, string>;
  try {
    const byGroupKind = new Map<string, Candidate[]>();
    for (const c of candidates) {
      const gk = groupKindOf(c.entry.ref);
      byGroupKind.set(gk, [...(byGroupKind.get(gk) ?? []), c]);
    }
    await mapLimit([...byGroupKind.values()], rm.concurrency, async (group) => {
      const { ref, version } = group[0].entry;
      const info = await rm.discovery.lookupGroupKind(ref.group, ref.kind, version);
      // No version of the kind is served any more: none of its objects can exist.
      if (!info) return;
      const live = await listLive(rm.api, info, selector);
      for (const c of group) {
        c.info = info;
        c.live = live.get(refKey({ ...c.entry.ref, namespace: info.namespaced ? c.entry.ref.namespace : '' }));
      }
    });
    await mapLimit(
      candidates.filter((c) => c.info && !c.live),
      rm.concurrency,
      async (c) => {
        const path = resourcePath(c.info!, c.entry.ref.namespace, c.entry.ref.name);
        try {
          const res = await rm.api.request<{ metadata: ObjectMetadata }>({ verb: 'get', method: 'GET', path });
          const m = res.body.metadata;
          if (m.labels?.[PART_OF_LABEL] !== plan.inventory.id) {
            cs.add(setId, c.entry.ref, 'skipped', { reason: 'no longer labelled as a member of this set' });
            return;
          }
          c.live = toLiveMeta(m, c.info!.namespaced);
        } catch (error) {
          if (error instanceof KubeError && error.status === 404) return;
          throw error;
        }
      },
    );
    const present = candidates.filter((c) => c.info && c.live).map((c) => ({ ref: c.entry.ref, info: c.info!, live: c.live! }));
    kept = await keptCandidates({ api: rm.api, discovery: rm.discovery, concurrency: rm.concurrency }, present);
    for (const c of present) {
      const reason = kept.has(refKey(c.ref)) ? undefined : options.retain?.(c.live.labels);
      if (reason) kept.set(refKey(c.ref), reason);
    }
  } catch (error) {
    throw new PruneAbortedError(setId, error instanceof Error ? error.message : String(error));
  }

  if (options.retain) {
    const retained = candidates.filter((c) => c.live && kept.has(refKey(c.entry.ref))).length;
    checkMassPrune(plan, options, plan.pruneCandidates.length - retained);
  }
  const keep: InventoryEntry[] = [];
  const toDelete: Candidate[] = [];
  for (const c of candidates) {
    if (!c.live) continue;
    const reason = kept.get(refKey(c.entry.ref));
    if (reason) {
      cs.add(setId, c.entry.ref, 'skipped', { reason });
      keep.push(c.entry);
    } else if (c.live.deleting) {
      cs.add(setId, c.entry.ref, 'deleted', { reason: 'already being deleted' });
    } else {
      toDelete.push(c);
    }
  }
  if (options.dryRun) {
    for (const c of toDelete) cs.add(setId, c.entry.ref, 'deleted');
    return [...plan.pruneCandidates];
  }

  let done = 0;
  for (const stage of stagesOf(toDelete, (c) => c.entry.ref).reverse()) {
    await mapLimit(stage, rm.concurrency, async (c) => {
      const path = resourcePath(c.info!, c.entry.ref.namespace, c.entry.ref.name);
      try {
        await rm.api.request({
          verb: 'delete',
          method: 'DELETE',
          path,
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            propagationPolicy: 'Background',
            preconditions: { uid: c.live!.uid, resourceVersion: c.live!.resourceVersion },
          },
        });
        cs.add(setId, c.entry.ref, 'deleted');
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) {
          cs.add(setId, c.entry.ref, 'deleted');
        } else if (error instanceof KubeError && error.status === 409) {
          cs.fail(setId, `${displayRef(c.entry.ref)}: changed since prune read it; not deleted (${error.statusMessage})`, c.entry.ref);
          keep.push(c.entry);
        } else {
          cs.fail(setId, `${displayRef(c.entry.ref)}: not deleted: ${error instanceof Error ? error.message : String(error)}`, c.entry.ref);
          keep.push(c.entry);
        }
      }
      rm.onProgress({ set: setId, verb: 'prune', done: ++done, total: toDelete.length });
    });
  }
  return keep;
}
