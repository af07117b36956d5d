import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { KubeClient } from '../../kube/client.js';
import { readClusterApiObjects } from '../../kube/cluster-api-objects.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import type { ClusterDescription, Described } from '../../model/cluster-tree.js';
import { describeTree } from './_describe-tree.js';
import { findCluster, requireClusterResource } from './_find-cluster.js';
import { managementClient } from './_management-client.js';
import { lastSeen, type KubeEvent } from '../../model/kube-event.js';

interface Options {
  stage?: string;
  output: 'tree' | 'json' | 'yaml';
  kubeconfig?: string;
  context?: string;
}

/** Reads everything the tree shows of one cluster: its Cluster API objects and its events. */
async function describeCluster(client: KubeClient, workloadCluster: Described): Promise<ClusterDescription> {
  const ns = workloadCluster.metadata.namespace!;
  const name = workloadCluster.metadata.name;
  const [objects, events] = await Promise.all([
    readClusterApiObjects(client, ns, name),
    client
      .request<{ items: KubeEvent[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, query: { fieldSelector: `involvedObject.kind=WorkloadCluster,involvedObject.name=${name}` } })
      .then((r) => r.body.items),
  ]);
  const seen = (e: KubeEvent) => Date.parse(lastSeen(e) ?? '');
  // In this order, which -o json and -o yaml print.
  return {
    workloadCluster,
    cluster: objects.cluster,
    infrastructure: objects.infrastructure,
    controlPlane: objects.controlPlane,
    controlPlaneMachines: objects.controlPlaneMachines,
    machineDeployments: objects.machineDeployments,
    events: events.sort((a, b) => seen(a) - seen(b)),
  };
}

/** `clusterops describe cluster NAME`: the cluster as a tree, or everything read as JSON/YAML. */
export function describeCommand(ctx: CommandContext = processContext): Command {
  return new Command('describe')
    .description(COMMANDS.describe.description)
    .argument('<resource>', 'cluster')
    .argument('<name>', 'name of the workload cluster')
    .option('--stage <stage>', 'stage of the cluster (needed when several stages have a cluster of that name)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['tree', 'json', 'yaml']).default('tree'))
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (resource: string, name: string, opts: Options) => {
      requireClusterResource(resource);
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const description = await describeCluster(client, (await findCluster(client, name, opts.stage)) as Described);
        if (opts.output === 'json') ctx.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
        else if (opts.output === 'yaml') ctx.stdout.write(stringify(description));
        else ctx.stdout.write(describeTree(description, Date.now()));
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}
