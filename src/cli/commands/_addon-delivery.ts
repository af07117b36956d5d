import { mapLimit } from '../../apply/_pool.js';
import { ChangeSet } from '../../apply/change-set.js';
import { refOf } from '../../apply/object-ref.js';
import type { ResourceManager } from '../../apply/resource-manager.js';
import { kubeconfigSecretName, WorkloadAccessCache } from '../../kube/workload-access.js';
import type { ManifestSet } from '../../model/manifest-set.js';
import type { ClusterSession } from './_cluster-session.js';

/** Workload clusters worked on at the same time. */
const CLUSTER_CONCURRENCY = 4;

/** An add-on set whose workload cluster could be reached, with the ResourceManager that reached it. */
export interface DeliveredSet {
  set: ManifestSet;
  /** `<stage>/<name>`. */
  cluster: string;
  manager: ResourceManager;
}

/** What delivering the add-on sets did: one ChangeSet for all clusters, and the clusters reached (for --wait). */
export interface AddonDelivery {
  changeSet: ChangeSet;
  delivered: DeliveredSet[];
  /** Closes the connections to the workload clusters. */
  close(): void;
}

/**
 * Runs `verb` (apply or diff) on each add-on set inside its workload cluster, reached through Secret
 * `<cluster>-kubeconfig` (key `value`) in the stage's namespace of the management cluster, each with
 * its own inventory there. A cluster without that Secret is not provisioned yet: its objects are
 * reported `skipped`, not as an error. A failure in one cluster is reported as that set's error and
 * never stops another. Entries carry their cluster; no message ever holds the kubeconfig.
 */
export async function deliverAddons(
  session: ClusterSession,
  sets: ManifestSet[],
  verb: (manager: ResourceManager, set: ManifestSet) => Promise<ChangeSet>,
  dryRun: boolean,
): Promise<AddonDelivery> {
  const access = new WorkloadAccessCache(session.client);
  const all = new ChangeSet(dryRun);
  const delivered: DeliveredSet[] = [];
  const results = await mapLimit(sets, CLUSTER_CONCURRENCY, async (set) => {
    if (set.target.kind !== 'workload') throw new Error(`${set.id} is not an add-on set`);
    const { stage, cluster: name } = set.target;
    const cluster = `${stage}/${name}`;
    const cs = new ChangeSet(dryRun);
    try {
      const reach = await access.access(stage, name);
      if (!reach.ok && reach.reason === 'NoKubeconfig') {
        const reason = `no Secret ${stage}/${kubeconfigSecretName(name)} yet: cluster not provisioned`;
        for (const obj of set.objects) cs.add(set.id, refOf(obj), 'skipped', { reason });
      } else if (!reach.ok) {
        cs.fail(set.id, reach.message);
      } else {
        const manager = session.managerFor(reach.api);
        cs.merge(await verb(manager, set));
        delivered.push({ set, cluster, manager });
      }
    } catch (error) {
      cs.fail(set.id, error instanceof Error ? error.message : String(error));
    }
    return cs.inCluster(cluster);
  });
  for (const cs of results) all.merge(cs);
  delivered.sort((a, b) => sets.indexOf(a.set) - sets.indexOf(b.set));
  return { changeSet: all, delivered, close: () => access.close() };
}
