import { KubeError } from '../kube/client.js';
import { resourcePath } from '../kube/discovery.js';
import { mapLimit } from '../apply/_pool.js';
import { objectHealth, type Health } from '../apply/health.js';
import type { ResourceManager } from '../apply/resource-manager.js';
import type { ManifestSet } from '../model/manifest-set.js';

/** How healthy a workload cluster's add-ons are. */
export interface AddonHealth {
  ready: number;
  total: number;
  /** The first objects that are not ready and why; empty when all are. */
  notReady: string[];
}

/** Reads every object of an add-on set from its cluster and rates it with objectHealth (one GET each). */
export async function addonHealth(rm: ResourceManager, set: ManifestSet, concurrency = 8): Promise<AddonHealth> {
  const results = await mapLimit(set.objects, concurrency, async (o): Promise<Health> => {
    try {
      const info = await rm.discovery.resolve(o.apiVersion, o.kind);
      const obj = (await rm.api.request<Record<string, unknown>>({ verb: 'get', method: 'GET', path: resourcePath(info, o.metadata.namespace, o.metadata.name) })).body;
      return objectHealth(obj);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return { status: 'NotFound', message: 'object not found' };
      return { status: 'Unknown', message: error instanceof Error ? error.message : String(error) };
    }
  });
  const notReady: string[] = [];
  results.forEach((h, i) => {
    if (h.status !== 'Current' && notReady.length < 5) {
      const o = set.objects[i];
      notReady.push(`${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}: ${h.status}: ${h.message}`);
    }
  });
  return { ready: results.filter((h) => h.status === 'Current').length, total: results.length, notReady };
}
