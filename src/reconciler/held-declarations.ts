/**
 * One bad file never holds up the fleet: a stage or cluster whose declaration does not validate in
 * a new revision keeps what the last good revision applied for it, while every other cluster moves
 * to the new revision. This file builds the sets of such a revision (the new sets, with the blocked
 * parts carried over from the previous good revision) and says which revision each held cluster
 * stays on. When there is no previous good revision in this process (a restart), nothing can be
 * carried: the prune of a stage with blocked clusters then keeps their objects (retainBlocked).
 */
import { isBlocked, type BlockedDeclaration } from '../model/blocked-declaration.js';
import { CLUSTER_LABEL, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { refKey, refOf } from '../apply/object-ref.js';

/** A cluster kept as an earlier revision left it, because its declaration (or its stage's) does not validate. */
export interface HeldCluster {
  stage: string;
  name: string;
  /** The revision whose objects of it stay applied; undefined when not known (nothing carried, after a restart). */
  revision?: string;
  blocked: BlockedDeclaration;
}

/** What an earlier good revision left, as far as carrying needs it. */
export interface PreviousRevision {
  revision: string;
  sets: ReadonlyMap<string, ManifestSet>;
  /** Clusters it held itself, with the revision each stayed on. */
  held: readonly HeldCluster[];
}

const clusterOf = (o: KubeObject) => o.metadata.labels?.[CLUSTER_LABEL];
const objectKey = (o: KubeObject) => refKey(refOf(o));

/**
 * The sets of a revision with blocked declarations: its own sets, plus for each blocked stage the
 * previous revision's sets of that stage as they were, and for each blocked cluster its add-on set
 * and its management objects (and the stage's shared objects, such as a ClusterClass, that the new
 * set no longer has, since the held cluster may stand on them) from the previous revision.
 */
export function carryBlocked(
  sets: readonly ManifestSet[],
  blocked: readonly BlockedDeclaration[],
  previous: PreviousRevision | undefined,
): { sets: ManifestSet[]; held: HeldCluster[] } {
  const out = new Map(sets.map((s) => [s.id, s]));
  const held: HeldCluster[] = [];
  if (blocked.length === 0) return { sets: [...out.values()], held };
  const heldAt = (stage: string, name: string) =>
    previous && (previous.held.find((h) => h.stage === stage && h.name === name)?.revision ?? previous.revision);
  for (const b of blocked) {
    if (b.clusters) continue;
    for (const id of [...out.keys()]) if (out.get(id)!.target.stage === b.stage) out.delete(id);
  }
  for (const prev of previous?.sets.values() ?? []) {
    const stage = prev.target.stage;
    if (prev.target.kind === 'workload') {
      if (isBlocked(blocked, stage, prev.target.cluster)) out.set(prev.id, prev);
      continue;
    }
    const wholeStage = blocked.some((b) => b.stage === stage && !b.clusters);
    if (wholeStage) {
      out.set(prev.id, prev);
      continue;
    }
    const names = new Set(blocked.filter((b) => b.stage === stage).flatMap((b) => b.clusters ?? []));
    if (names.size === 0) continue;
    const current = out.get(prev.id);
    const have = new Set((current?.objects ?? []).map(objectKey));
    const carried = prev.objects.filter((o) => !have.has(objectKey(o)) && (clusterOf(o) === undefined || names.has(clusterOf(o)!)));
    if (carried.length === 0) continue;
    out.set(prev.id, { ...prev, objects: [...(current?.objects ?? []), ...carried] });
  }
  // Which clusters are held: those the carried sets (or the previous revision) declare, by the blocked entries.
  const seen = new Set<string>();
  for (const set of out.values()) {
    if (set.target.kind !== 'management') continue;
    for (const o of set.objects) {
      if (o.kind !== 'WorkloadCluster') continue;
      const name = clusterOf(o) ?? o.metadata.name;
      const b = isBlocked(blocked, set.target.stage, name);
      const key = `${set.target.stage}/${name}`;
      if (!b || seen.has(key)) continue;
      seen.add(key);
      held.push({ stage: set.target.stage, name, revision: heldAt(set.target.stage, name), blocked: b });
    }
  }
  return { sets: [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), held };
}

/**
 * The prune guard of a stage's management set while declarations of it are blocked: members of a
 * blocked cluster, and the stage's shared objects (which a blocked cluster may stand on), are not
 * deleted. Undefined when nothing of the stage is blocked.
 */
export function retainBlocked(blocked: readonly BlockedDeclaration[], stage: string): ((labels: Readonly<Record<string, string>>) => string | undefined) | undefined {
  const mine = blocked.filter((b) => b.stage === stage);
  if (mine.length === 0) return undefined;
  return (labels) => {
    const cluster = labels[CLUSTER_LABEL];
    const b = cluster === undefined ? mine[0] : isBlocked(mine, stage, cluster);
    if (!b) return undefined;
    const p = b.problems[0];
    const where = p ? ` (${p.file}:${p.line})` : '';
    return cluster === undefined
      ? `kept while a declaration of stage ${stage} does not validate${where}`
      : `kept: the declaration of cluster ${cluster} does not validate${where}`;
  };
}

/** The stages blocked whole (for the orphan prune: a stage whose stage.yaml does not validate is not gone). */
export function blockedStagesOf(blocked: readonly BlockedDeclaration[]): Set<string> {
  return new Set(blocked.filter((b) => !b.clusters).map((b) => b.stage));
}
