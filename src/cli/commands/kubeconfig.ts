import { Command } from 'commander';
import { KubeError, type KubeClient } from '../../kube/client.js';
import { KUBECONFIG_SECRET_KEY, kubeconfigSecretName } from '../../kube/workload-access.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode, NotFoundError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { findCluster } from './_find-cluster.js';
import { managementClient } from './_management-client.js';


interface Options {
  stage?: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * `clusterops kubeconfig CLUSTER [--stage S]`: prints the kubeconfig of a workload cluster, read from
 * the Secret `<cluster>-kubeconfig` (key `value`) that Cluster API's control-plane provider writes
 * into the cluster's stage namespace of the management cluster.
 */
export function kubeconfigCommand(ctx: CommandContext = processContext): Command {
  return new Command('kubeconfig')
    .description(COMMANDS.kubeconfig.description)
    .argument('<cluster>', 'name of the workload cluster')
    .option('--stage <stage>', 'stage of the cluster (needed when several stages have a cluster of that name)')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (cluster: string, opts: Options) => {
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const stage = (await findCluster(client, cluster, opts.stage)).metadata.namespace;
        const text = await kubeconfigOf(client, stage, cluster);
        if (text === undefined) {
          throw new NotFoundError(`${stage}/${cluster} has no kubeconfig yet (Secret ${stage}/${kubeconfigSecretName(cluster)}): its control plane is not initialized`);
        }
        ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}

async function kubeconfigOf(client: KubeClient, stage: string, cluster: string): Promise<string | undefined> {
  try {
    const { body } = await client.request<{ data?: Record<string, string> }>({
      verb: 'get',
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(stage)}/secrets/${encodeURIComponent(kubeconfigSecretName(cluster))}`,
    });
    const encoded = body.data?.[KUBECONFIG_SECRET_KEY];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return undefined;
    throw error;
  }
}
