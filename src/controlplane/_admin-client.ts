// How the control-plane code reaches its own API server: a KubeClient on the admin kubeconfig.
import { KubeClient, type KubeClientOptions } from '../kube/client.js';
import { KubeconfigError, loadKubeconfig } from '../kube/kubeconfig.js';
import { ControlPlaneError } from './errors.js';

/** Options for probes that poll readiness: one attempt, answered within 5 s, so a poll fails fast. */
export const PROBE_OPTIONS: KubeClientOptions = { maxRetries: 0, timeoutMs: 5_000 };

/** A client for the current context of the kubeconfig at `path`; an unusable kubeconfig is a ControlPlaneError. */
export async function adminClient(path: string, options: KubeClientOptions = {}): Promise<KubeClient> {
  try {
    return await KubeClient.fromKubeConfig(loadKubeconfig({ path }), options);
  } catch (error) {
    if (error instanceof KubeconfigError) throw new ControlPlaneError(error.message);
    throw new ControlPlaneError(`cannot use kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Whether a GET of `path` answers 2xx; false when the server refuses, cannot be reached or does not answer in time. */
export async function answers(client: KubeClient, path: string): Promise<boolean> {
  try {
    await client.request({ verb: 'get', method: 'GET', path, responseType: 'text' });
    return true;
  } catch {
    return false;
  }
}
