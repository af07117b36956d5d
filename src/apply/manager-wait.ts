import { KubeError } from '../kube/client.js';
import { resourcePath } from '../kube/discovery.js';
import { waitForHealthy, type WaitObject, type WaitOptions, type WaitResult } from './wait.js';
import type { ResourceManager } from './resource-manager.js';

/**
 * Waits until the given objects are healthy (health rules of health.ts), reading each through
 * discovery and a GET; resolves with the outcome (Current, Failed or Timeout), never throws on a
 * failed read (it counts as Unknown and is read again).
 */
export function waitForObjects(rm: ResourceManager, objects: WaitObject[], options: WaitOptions): Promise<WaitResult> {
  return waitForHealthy(
    objects,
    async (ref) => {
      const info = await rm.discovery.resolve(ref.apiVersion, ref.kind);
      try {
        return (await rm.api.request<Record<string, unknown>>({ verb: 'get', method: 'GET', path: resourcePath(info, ref.metadata.namespace, ref.metadata.name) })).body;
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) return undefined;
        throw error;
      }
    },
    { concurrency: rm.concurrency, ...options },
  );
}
