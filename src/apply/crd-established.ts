import type { KubeApi } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import type { KubeObject } from '../synth/manifest-set.js';
import { mapLimit } from './_pool.js';

interface CrdStatus {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

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
      const res = await api.request<CrdStatus>({ verb: 'get', method: 'GET', path });
      const conditions = res.body.status?.conditions ?? [];
      const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
      const rejected = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      if (rejected) throw new CrdNotEstablishedError(`CustomResourceDefinition ${crd.metadata.name}: names not accepted: ${rejected.message ?? rejected.reason ?? ''}`);
      if (established) break;
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
