import type { KubeApi } from '../kube/client.js';
import { splitApiVersion, type Discovery, type ResourceInfo } from '../kube/discovery.js';
import type { KubeObject, ManifestSet } from '../model/manifest-set.js';
import type { Action } from '../model/outcome.js';
import { applyRank } from './_stages.js';
import { contentHash } from './content-hash.js';
import { MissingKindsError } from './errors.js';
import { PART_OF_LABEL, type Inventory, type InventoryEntry } from './inventory.js';
import type { LiveCache } from './live-cache.js';
import { listLive, type LiveMeta } from './live-state.js';
import { groupKindOf, parseRefKey, refKey, refOf, type ObjectRef } from './object-ref.js';
import { mapLimit } from './_pool.js';

/** Why an object must be applied, or that it need not be: the cause behind its planned action. */
export type PlanCause =
  /** Not in the inventory and not found live. */
  | 'new'
  /** In the inventory but gone from the cluster (or lost our label). */
  | 'missing'
  /** The desired content differs from what was applied last. */
  | 'changed'
  /** Someone changed the live object since our last apply (generation, resourceVersion, uid or our metadata). */
  | 'drifted'
  /** The last apply of it did not finish. */
  | 'pending'
  /** Same content as last applied, live object untouched: no request needed. */
  | 'unchanged';

/** One desired object and what the plan decided for it. */
export interface PlannedObject {
  ref: ObjectRef;
  key: string;
  /** The object to send: as synthesized, plus the ApplySet part-of label. */
  desired: KubeObject;
  hash: string;
  rank: number;
  /** Undefined while its kind is served by a CRD of this same set that is not established yet. */
  info?: ResourceInfo;
  live?: LiveMeta;
  recorded?: InventoryEntry;
  /** What applying it will do, in the outcome vocabulary (created, configured, unchanged). */
  action: PlannedAction;
  cause: PlanCause;
}

/** The actions a plan decides; deleted and skipped are decided by prune. */
export type PlannedAction = Extract<Action, 'created' | 'configured' | 'unchanged'>;

/** The planned action of each cause. */
const ACTION_OF: Record<PlanCause, PlannedAction> = {
  new: 'created',
  missing: 'created',
  changed: 'configured',
  drifted: 'configured',
  pending: 'configured',
  unchanged: 'unchanged',
};

/** What an apply of one ManifestSet would do, decided from the inventory and one list per kind. */
export interface Plan {
  set: ManifestSet;
  inventory: Inventory;
  /** Desired objects in apply order. */
  objects: PlannedObject[];
  /** Members of the previous inventory no longer desired. */
  pruneCandidates: InventoryEntry[];
}

/** Objects that must be sent to the API server. */
export function needsApply(p: PlannedObject): boolean {
  return p.action !== 'unchanged';
}

/** The `group/version/Kind`s a CustomResourceDefinition of the set will serve. */
function kindsDefinedBy(objects: KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || splitApiVersion(o.apiVersion).group !== 'apiextensions.k8s.io') continue;
    const spec = o.spec as { group?: string; names?: { kind?: string }; versions?: Array<{ name?: string; served?: boolean }> };
    for (const v of spec?.versions ?? []) {
      if (spec.group && spec.names?.kind && v.name && v.served !== false) out.add(`${spec.group}/${v.name}/${spec.names.kind}`);
    }
  }
  return out;
}

/** A deep copy of an object with the part-of label added; the input is not changed. */
export function withPartOf(obj: KubeObject, applySetId: string): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [PART_OF_LABEL]: applySetId };
  return copy;
}

/** Every entry of `desired` is in `live` with the same value. */
export function isSubset(desired: Record<string, string> | undefined, live: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(desired ?? {})) if (live[k] !== v) return false;
  return true;
}

/** Decides, for one object, whether it must be applied. */
function causeOf(p: Omit<PlannedObject, 'action' | 'cause'>): PlanCause {
  const { recorded, live, hash, desired } = p;
  if (!live) return recorded ? 'missing' : 'new';
  if (!recorded) return 'new';
  if (recorded.hash === undefined) return 'pending';
  if (recorded.hash !== hash) return 'changed';
  if (live.deleting || live.uid !== recorded.uid) return 'drifted';
  const sameVersion =
    live.generation !== undefined && recorded.generation !== undefined
      ? live.generation === recorded.generation
      : live.resourceVersion === recorded.resourceVersion;
  if (!sameVersion) return 'drifted';
  if (!isSubset(desired.metadata.labels, live.labels) || !isSubset(desired.metadata.annotations, live.annotations)) return 'drifted';
  return 'unchanged';
}

/** Options of planSet. */
export interface PlanOptions {
  /** @default 8 */
  concurrency?: number;
  /** CustomResourceDefinitions that will exist before the apply though no set declares them (ResourceManagerOptions.prerequisiteCrds). @default none */
  prerequisiteCrds?: readonly KubeObject[];
  /** Watches to read kinds from instead of listing them (live-cache.ts). @default none: every kind is listed */
  cache?: LiveCache;
}

/** Causes that a lagging watch could make up: read from a cache, they are confirmed by a list first. */
const CONFIRMED_CAUSES: ReadonlySet<PlanCause> = new Set(['missing', 'drifted']);

/** Most ApplySet ids in one `in (...)` label selector. */
const IDS_PER_SELECTOR = 40;

/**
 * Plans the apply of several sets at once: resolves every kind (a set with a kind the server does
 * not serve gets a MissingKindsError in its place, before anything is written), lists the live
 * members once per kind for all sets together (metadata only, selected by their part-of labels)
 * and compares them with each set's inventory. Throws on any failed read.
 */
export async function planSets(
  api: KubeApi,
  discovery: Discovery,
  sets: ManifestSet[],
  inventories: Map<string, Inventory>,
  options: PlanOptions = {},
): Promise<Array<Plan | MissingKindsError>> {
  const concurrency = options.concurrency ?? 8;
  const apiKinds = [...new Set(sets.flatMap((set) => set.objects.map((o) => `${o.apiVersion}\n${o.kind}`)))];
  const infoByApiKind = new Map<string, ResourceInfo | undefined>();
  await mapLimit(apiKinds, concurrency, async (ak) => {
    const [apiVersion, kind] = ak.split('\n');
    infoByApiKind.set(ak, await discovery.lookup(apiVersion, kind));
  });

  const missingBySet = new Map<string, string[]>();
  const idsByGroupKind = new Map<string, { info: ResourceInfo; ids: Set<string> }>();
  for (const set of sets) {
    const crdKinds = kindsDefinedBy([...set.objects, ...(options.prerequisiteCrds ?? [])]);
    const missing = new Set<string>();
    for (const o of set.objects) {
      const info = infoByApiKind.get(`${o.apiVersion}\n${o.kind}`);
      const { group, version } = splitApiVersion(o.apiVersion);
      if (!info && !crdKinds.has(`${group}/${version}/${o.kind}`)) missing.add(`${o.apiVersion}/${o.kind}`);
      if (!info) continue;
      const gk = groupKindOf(info);
      const entry = idsByGroupKind.get(gk) ?? { info, ids: new Set<string>() };
      entry.ids.add(inventories.get(set.id)!.id);
      idsByGroupKind.set(gk, entry);
    }
    if (missing.size > 0) missingBySet.set(set.id, [...missing].sort());
  }

  /** Live objects by `<part-of id>\n<refKey>`. */
  const live = new Map<string, LiveMeta>();
  /** Group kinds read from the cache: what they say changed or went missing is listed again. */
  const cached = new Set<string>();
  const listKinds = async (kinds: Array<{ info: ResourceInfo; ids: Set<string> }>) => {
    // One metadata-only list per served group kind for all sets, selected by their part-of labels.
    const lists: Array<{ info: ResourceInfo; selector: string }> = [];
    for (const { info, ids } of kinds) {
      const sorted = [...ids].sort();
      for (let i = 0; i < sorted.length; i += IDS_PER_SELECTOR) {
        const chunk = sorted.slice(i, i + IDS_PER_SELECTOR);
        lists.push({ info, selector: chunk.length === 1 ? `${PART_OF_LABEL}=${chunk[0]}` : `${PART_OF_LABEL} in (${chunk.join(',')})` });
      }
    }
    await mapLimit(lists, concurrency, async ({ info, selector }) => {
      for (const [k, v] of await listLive(api, info, selector)) live.set(`${v.labels[PART_OF_LABEL]}\n${k}`, v);
    });
  };
  const toList: Array<{ info: ResourceInfo; ids: Set<string> }> = [];
  for (const [gk, entry] of idsByGroupKind) {
    const fromCache = options.cache?.read(entry.info, entry.ids);
    if (!fromCache) {
      toList.push(entry);
      continue;
    }
    cached.add(gk);
    for (const [id, members] of fromCache) for (const [k, v] of members) live.set(`${id}\n${k}`, v);
  }
  await listKinds(toList);

  const build = () =>
    sets.map((set) => {
      const missing = missingBySet.get(set.id);
      if (missing) return new MissingKindsError(set.id, missing);
      const inventory = inventories.get(set.id)!;
      const objects: PlannedObject[] = [];
      const seen = new Set<string>();
      for (const obj of set.objects) {
        const ref = refOf(obj);
        const info = infoByApiKind.get(`${obj.apiVersion}\n${obj.kind}`);
        if (info && !info.namespaced) ref.namespace = '';
        const key = refKey(ref);
        if (seen.has(key)) throw new Error(`${set.id}: ${key} appears twice in the set`);
        seen.add(key);
        const desired = withPartOf(obj, inventory.id);
        if (info && !info.namespaced) delete desired.metadata.namespace;
        if (info?.namespaced && !desired.metadata.namespace) throw new Error(`${set.id}: ${obj.kind} ${obj.metadata.name} is namespaced but has no namespace`);
        const partial = {
          ref,
          key,
          desired,
          hash: contentHash(desired),
          rank: applyRank(ref),
          info,
          live: live.get(`${inventory.id}\n${key}`),
          recorded: inventory.entries.get(key),
        };
        const cause = causeOf(partial);
        objects.push({ ...partial, cause, action: ACTION_OF[cause] });
      }
      objects.sort((a, b) => a.rank - b.rank);
      const pruneCandidates = [...inventory.entries.values()].filter((e) => !seen.has(refKey(e.ref)));
      return { set, inventory, objects, pruneCandidates };
    });
  let plans = build();
  if (cached.size === 0) return plans;
  // What the cache says was changed or removed by someone is confirmed by a list before it is acted on.
  const confirm = new Set<string>();
  for (const plan of plans) {
    if (plan instanceof MissingKindsError) continue;
    for (const p of plan.objects) if (p.info && CONFIRMED_CAUSES.has(p.cause) && cached.has(groupKindOf(p.info))) confirm.add(groupKindOf(p.info));
  }
  if (confirm.size === 0) return plans;
  for (const gk of confirm) {
    const ids = idsByGroupKind.get(gk)!.ids;
    for (const key of [...live.keys()]) if (ids.has(key.slice(0, key.indexOf('\n'))) && gkOfLiveKey(key) === gk) live.delete(key);
  }
  await listKinds([...confirm].map((gk) => idsByGroupKind.get(gk)!));
  plans = build();
  return plans;
}

/** The group kind of a `<part-of id>\n<refKey>` key of the live map. */
function gkOfLiveKey(key: string): string {
  const ref = parseRefKey(key.slice(key.indexOf('\n') + 1));
  return ref ? groupKindOf(ref) : '';
}

/** Plans the apply of one set (see planSets); throws MissingKindsError when a kind is not served. */
export async function planSet(
  api: KubeApi,
  discovery: Discovery,
  set: ManifestSet,
  inventory: Inventory,
  options: PlanOptions = {},
): Promise<Plan> {
  const [plan] = await planSets(api, discovery, [set], new Map([[set.id, inventory]]), options);
  if (plan instanceof MissingKindsError) throw plan;
  return plan;
}
