/**
 * The floor of any apply engine: every object sent once as a server-side apply PATCH, concurrently,
 * with no planning at all (no inventory, no diff, no reads): Namespaces first so the rest has
 * somewhere to go, then everything else at once, `concurrency` requests in flight.
 */
import { mapLimit } from '../../src/apply/_pool.js';
import type { KubeApi } from '../../src/kube/client.js';
import { Discovery, resourcePath } from '../../src/kube/discovery.js';
import type { KubeObject } from '../../src/model/manifest-set.js';

/** Applies `objects` and resolves to the number of requests sent. */
export async function rawApply(api: KubeApi, objects: readonly KubeObject[], concurrency = 16, fieldManager = 'raw-apply'): Promise<number> {
  const discovery = new Discovery(api);
  const send = async (obj: KubeObject) => {
    const info = await discovery.resolve(obj.apiVersion, obj.kind);
    const path = resourcePath(info, info.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    await api.request({ verb: 'apply', method: 'PATCH', path, query: { fieldManager, force: 'true' }, body: obj, contentType: 'application/apply-patch+yaml' });
  };
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  const rest = objects.filter((o) => !first.includes(o));
  await mapLimit(first, concurrency, send);
  await mapLimit(rest, concurrency, send);
  return objects.length;
}
