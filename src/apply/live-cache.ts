/**
 * The live metadata of the objects clusterops manages, kept by watches instead of listed on every
 * plan: one metadata-only watch per kind of every object carrying the ApplySet part-of label. A
 * plan reads a kind from here while its watch is current (listed, no failure since) and lists it as
 * before otherwise; anything the copy says changed or went missing is listed again before it is
 * acted on (plan.ts), so a copy that lags can cost a request, never a wrong apply.
 *
 * It also tells who changed what: a change of a managed object made by someone else (a new
 * generation, a label or annotation taken away or changed, another uid, a delete; for kinds without
 * a generation a new resourceVersion) is told to `onDrift` with the object's ApplySet id, so a hand edit is put
 * back when it happens, not at the next interval. Changes our own applies made are recognised by
 * the generation or resourceVersion they answered with, and not told.
 */
import type { KubeClient } from '../kube/client.js';
import { resourcePath, type ResourceInfo } from '../kube/discovery.js';
import { Informer, type WatchedObject } from '../kube/watch.js';
import { PART_OF_LABEL } from './inventory.js';
import { toLiveMeta, type LiveMeta, type ObjectMetadata } from './live-state.js';
import { groupKindOf, refKey } from './object-ref.js';

/** What a metadata-only watch sends of an object. */
type WatchedMeta = WatchedObject & { metadata: ObjectMetadata & WatchedObject['metadata'] };

interface KindWatch {
  info: ResourceInfo;
  informer: Informer<WatchedMeta>;
  /** Live objects by ApplySet id, then refKey. */
  byPartOf: Map<string, Map<string, LiveMeta>>;
}

/** A change of a managed object that our applies did not make. */
export interface Drift {
  /** The ApplySet id (part-of label) of the object. */
  partOf: string;
  key: string;
  /** What happened to it. */
  what: 'changed' | 'deleted';
}

/** See the module comment. */
export class LiveCache {
  private readonly kinds = new Map<string, KindWatch>();
  /** What our own applies answered with, by refKey: the change they made is not drift. */
  private readonly own = new Map<string, { resourceVersion: string; generation?: number }>();
  /** Objects our applies are writing now: what the watch says of them waits for the answer. */
  private readonly inFlight = new Set<string>();
  /** Changes seen of objects in flight, to judge once the apply answered. */
  private readonly held = new Map<string, { partOf: string; before: LiveMeta; after?: LiveMeta }>();
  /** The group kinds a plan read for each ApplySet id. */
  private readonly readFor = new Map<string, Set<string>>();

  constructor(
    private readonly client: KubeClient,
    private readonly onDrift: (drift: Drift) => void = () => undefined,
  ) {}

  /**
   * The live members of kind `info` whose part-of label is one of `ids`, when its watch is current;
   * undefined when it is not (and the watch is started, for the next plan).
   */
  read(info: ResourceInfo, ids: ReadonlySet<string>): Map<string, Map<string, LiveMeta>> | undefined {
    const watch = this.watch(info);
    const gk = groupKindOf(info);
    for (const id of ids) {
      let kinds = this.readFor.get(id);
      if (!kinds) this.readFor.set(id, (kinds = new Set()));
      kinds.add(gk);
    }
    if (!watch.informer.healthy) return undefined;
    const out = new Map<string, Map<string, LiveMeta>>();
    for (const id of ids) out.set(id, watch.byPartOf.get(id) ?? new Map());
    return out;
  }

  /** Our apply of an object starts: its watch events wait for applied() or applyFailed() (the event may come before the answer). */
  applying(key: string): void {
    this.inFlight.add(key);
  }

  /** Records what our apply of an object answered with (its change is then not drift). */
  applied(key: string, answer: { resourceVersion: string; generation?: number }): void {
    const own = { resourceVersion: answer.resourceVersion, generation: answer.generation };
    this.own.set(key, own);
    this.settle(key, own);
  }

  /** Our apply of an object failed: what the watch saw of it meanwhile was someone else's. */
  applyFailed(key: string): void {
    this.settle(key, undefined);
  }

  private settle(key: string, own: { resourceVersion: string; generation?: number } | undefined): void {
    this.inFlight.delete(key);
    const held = this.held.get(key);
    this.held.delete(key);
    if (!held) return;
    // A delete seen while our apply (re)created the object is ours too (a replace).
    if (!held.after) {
      if (!own) this.onDrift({ partOf: held.partOf, key, what: 'deleted' });
      return;
    }
    if (changedByOthers(held.before, held.after, own)) this.onDrift({ partOf: held.partOf, key, what: 'changed' });
  }

  /**
   * Whether the members of ApplySet `partOf` are all watched and their watches current: a plan read
   * each of its kinds from here, and no watch failed since. Then a change by someone else is told
   * to onDrift, and a periodic drift check of the set can be left out.
   */
  current(partOf: string): boolean {
    const kinds = this.readFor.get(partOf);
    if (!kinds || kinds.size === 0) return false;
    for (const gk of kinds) if (!this.kinds.get(gk)?.informer.healthy) return false;
    return true;
  }

  /** Stops every watch and forgets what they held; a later read starts them again. */
  async stop(): Promise<void> {
    const kinds = [...this.kinds.values()];
    this.kinds.clear();
    this.readFor.clear();
    await Promise.all(kinds.map((k) => k.informer.stop()));
  }

  private watch(info: ResourceInfo): KindWatch {
    const gk = groupKindOf(info);
    let watch = this.kinds.get(gk);
    if (watch) return watch;
    const byPartOf = new Map<string, Map<string, LiveMeta>>();
    const informer = new Informer<WatchedMeta>({
      client: this.client,
      path: resourcePath(info),
      labelSelector: PART_OF_LABEL,
      metadataOnly: true,
      onEvent: (e) => this.take(info, byPartOf, e.type, e.object),
    });
    watch = { info, informer, byPartOf };
    this.kinds.set(gk, watch);
    informer.start();
    return watch;
  }

  private take(info: ResourceInfo, byPartOf: Map<string, Map<string, LiveMeta>>, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: WatchedMeta): void {
    const live = toLiveMeta(object.metadata, info.namespaced);
    const partOf = live.labels[PART_OF_LABEL];
    const key = refKey({ group: info.group, kind: info.kind, namespace: live.namespace, name: live.name });
    // The object may have moved between ApplySets (or lost the label: then it is DELETED here).
    let before: LiveMeta | undefined;
    for (const [id, members] of byPartOf) {
      const found = members.get(key);
      if (!found) continue;
      before = found;
      if (id !== partOf || type === 'DELETED') members.delete(key);
    }
    if (type !== 'DELETED' && partOf) {
      let members = byPartOf.get(partOf);
      if (!members) byPartOf.set(partOf, (members = new Map()));
      members.set(key, live);
    }
    const tell = before?.labels[PART_OF_LABEL];
    if (!before || !tell) return;
    if (this.inFlight.has(key)) {
      // Judged when our apply answers: keep the state before the first change seen, and the latest.
      const held = this.held.get(key);
      this.held.set(key, { partOf: tell, before: held?.before ?? before, after: type === 'DELETED' ? undefined : live });
      return;
    }
    if (type === 'DELETED') {
      this.own.delete(key);
      this.onDrift({ partOf: tell, key, what: 'deleted' });
      return;
    }
    if (!changedByOthers(before, live, this.own.get(key))) return;
    this.onDrift({ partOf: tell, key, what: 'changed' });
  }
}

/** Whether `after` differs from `before` in what we apply, and not by our own apply's answer. */
function changedByOthers(before: LiveMeta, after: LiveMeta, own: { resourceVersion: string; generation?: number } | undefined): boolean {
  if (after.uid !== before.uid || after.deleting !== before.deleting) return true;
  // Keys taken away or changed (a controller adding its own, as a Deployment's revision annotation, is not drift).
  if (!keeps(before.labels, after.labels) || !keeps(before.annotations, after.annotations)) {
    return !own || own.resourceVersion !== after.resourceVersion;
  }
  if (after.generation !== undefined) {
    if (after.generation === before.generation) return false;
    return !own || own.generation !== after.generation;
  }
  if (after.resourceVersion === before.resourceVersion) return false;
  return !own || own.resourceVersion !== after.resourceVersion;
}

/** Whether every entry of `before` is in `after` with the same value. */
function keeps(before: Record<string, string>, after: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(before)) if (after[k] !== v) return false;
  return true;
}
