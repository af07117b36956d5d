import { KubeClient, type KubeClientOptions } from '../../kube/client.js';
import { KubeconfigError, loadKubeconfig } from '../../kube/kubeconfig.js';
import { UsageError } from '../exit-codes.js';

/** A client for the management cluster of `--kubeconfig`/`--context`; an unusable kubeconfig is a usage error (exit 2). */
export async function managementClient(opts: { kubeconfig?: string; context?: string }, options?: KubeClientOptions): Promise<KubeClient> {
  try {
    return await KubeClient.fromKubeConfig(loadKubeconfig({ path: opts.kubeconfig, context: opts.context }), options);
  } catch (error) {
    if (error instanceof KubeconfigError) throw new UsageError(error.message);
    throw error;
  }
}
