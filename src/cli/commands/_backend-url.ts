import { UsageError } from '../exit-codes.js';

/** `--backend` of the commands that run the management stack: a URL, e.g. `file:///var/lib/clusterops/state`; a UsageError otherwise. */
export function checkBackendUrl(backend: string | undefined): void {
  if (backend && !/^[a-z0-9]+:\/\//.test(backend)) throw new UsageError(`--backend ${JSON.stringify(backend)} is not a URL (e.g. file:///var/lib/clusterops/state)`);
}
