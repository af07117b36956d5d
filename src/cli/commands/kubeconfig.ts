import { Command } from 'commander';
import { WORKLOAD_CLUSTER_API_VERSION, WORKLOAD_CLUSTER_PLURAL } from '../../charts/workload-cluster-crd.js';
import { KubeError, type KubeClient } from '../../kube/client.js';
import { KUBECONFIG_SECRET_KEY, kubeconfigSecretName } from '../../kube/workload-access.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { managementClient } from './_management-client.js';

/** Exit code when the cluster, or its kubeconfig, does not exist (yet). */
export const NOT_FOUND_EXIT = 3;

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
        const stage = opts.stage ?? (await stageOf(client, cluster));
        if (stage.length === 0) {
          ctx.stderr.write(`error: no workload cluster named ${cluster} in any stage\n`);
          return ctx.exit(NOT_FOUND_EXIT);
        }
        if (Array.isArray(stage)) {
          throw new UsageError(`${cluster} exists in the stages ${stage.join(', ')}; say which with --stage`);
        }
        const text = await kubeconfigOf(client, stage, cluster);
        if (text === undefined) {
          ctx.stderr.write(`error: ${stage}/${cluster} has no kubeconfig yet (Secret ${stage}/${kubeconfigSecretName(cluster)}): its control plane is not initialized\n`);
          return ctx.exit(NOT_FOUND_EXIT);
        }
        ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}

/** The one stage holding a WorkloadCluster `name`; the list of them when several do; '' (empty) when none. */
async function stageOf(client: KubeClient, name: string): Promise<string | string[]> {
  const { body } = await client.request<{ items: Array<{ metadata: { namespace: string } }> }>({
    verb: 'list',
    method: 'GET',
    path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/${WORKLOAD_CLUSTER_PLURAL}`,
    query: { fieldSelector: `metadata.name=${name}` },
  });
  const stages = body.items.map((item) => item.metadata.namespace).sort();
  if (stages.length === 1) return stages[0];
  return stages.length === 0 ? '' : stages;
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
