/**
 * Management sets applied before whose stage is no longer declared: found by their inventories in
 * the cluster and applied empty with prune, so the prune guards and mass-prune protection decide.
 */
import { ChangeSet } from '../apply/change-set.js';
import type { ResourceManager } from '../apply/resource-manager.js';
import { KubeError } from '../kube/client.js';
import { targetOfSetId } from '../model/manifest-set.js';

/** Applies each orphaned management set empty with prune; resolves what each did (a failure is in its ChangeSet). */
export async function pruneOrphanedSets(
  rm: ResourceManager,
  isDeclared: (setId: string) => boolean,
  options: { allowMassPrune?: boolean },
): Promise<Array<{ set: string; cs: ChangeSet }>> {
  let names: string[];
  try {
    const list = await rm.api.request<{ items: Array<{ metadata: { name: string } }> }>({
      verb: 'list',
      method: 'GET',
      path: `/api/v1/namespaces/${rm.inventoryNamespace}/configmaps`,
      query: { labelSelector: 'applyset.kubernetes.io/id' },
    });
    names = list.body.items.map((i) => i.metadata.name);
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return [];
    throw error;
  }
  const out: Array<{ set: string; cs: ChangeSet }> = [];
  for (const name of names) {
    const id = name.replace(/^applyset-/, '');
    const target = targetOfSetId(id);
    if (target?.kind !== 'management' || isDeclared(id)) continue;
    const cs = await rm.apply({ id, target, objects: [] }, { prune: true, allowMassPrune: options.allowMassPrune }).catch((error: unknown) => {
      const failed = new ChangeSet();
      failed.fail(id, error instanceof Error ? error.message : String(error));
      return failed;
    });
    out.push({ set: id, cs });
  }
  return out;
}

/**
 * The clusters of an orphaned stage that are still there after its prune, with why: the mirrors
 * prune kept (and the reason), or, when the prune failed or was refused, every live one.
 */
export function leftOfOrphanedStage(stage: string, cs: ChangeSet, live: ReadonlyArray<{ name: string }>): Array<readonly [string, string]> {
  if (cs.errors.length > 0) {
    const why = cs.errors.map((e) => e.message).join('; ');
    return live.map((c) => [c.name, `prune of stage ${stage} not done: ${why}`] as const);
  }
  return cs.entries.filter((e) => e.kind === 'WorkloadCluster' && e.action === 'skipped').map((e) => [e.name, e.reason ?? 'protected'] as const);
}
