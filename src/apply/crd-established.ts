import type { KubeApi } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import type { KubeObject } from '../model/manifest-set.js';
import { mapLimit } from './_pool.js';
import { objectHealth } from './health.js';

/** A CRD did not become Established in time; nothing of its kinds was applied. */
export class CrdNotEstablishedError extends Error {
  override name = 'CrdNotEstablishedError';
}

/**
 * Waits until each CustomResourceDefinition is Established and its served kinds show in discovery,
 * polling with growing intervals; throws CrdNotEstablishedError after `timeoutMs`.
 */
export async function waitForCrdsEstablished(
  api: KubeApi,
  discovery: Discovery,
  crds: KubeObject[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await mapLimit(crds, 8, async (crd) => {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(crd.metadata.name)}`;
    let delay = 50;
    for (;;) {
      // The health table's CustomResourceDefinition row decides: Current once Established, Failed when its names are refused.
      const health = objectHealth((await api.request<Record<string, unknown>>({ verb: 'get', method: 'GET', path })).body);
      if (health.status === 'Failed') throw new CrdNotEstablishedError(`CustomResourceDefinition ${crd.metadata.name}: ${health.message}`);
      if (health.status === 'Current') break;
      if (Date.now() > deadline) throw new CrdNotEstablishedError(`CustomResourceDefinition ${crd.metadata.name} is not Established after ${timeoutMs} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, 1000);
    }
    const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string; served?: boolean }> };
    for (const v of spec.versions.filter((x) => x.served !== false)) {
      const apiVersion = `${spec.group}/${v.name}`;
      delay = 50;
      while (!(await discovery.lookup(apiVersion, spec.names.kind))) {
        if (Date.now() > deadline) throw new CrdNotEstablishedError(`${spec.names.kind} in ${apiVersion} does not show in API discovery after ${timeoutMs} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Applies CustomResourceDefinitions with server-side apply (the given field manager wins) and waits until each is served. */
export async function ensureCrds(api: KubeApi, discovery: Discovery, crds: KubeObject[], fieldManager: string, timeoutMs: number): Promise<void> {
  await mapLimit(crds, 8, (crd) =>
    api.request({
      verb: 'apply',
      method: 'PATCH',
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(crd.metadata.name)}`,
      query: { fieldManager, force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: crd,
    }),
  );
  await waitForCrdsEstablished(api, discovery, crds, timeoutMs);
}
