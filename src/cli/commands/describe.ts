import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { KubeError, type KubeClient } from '../../kube/client.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { describeTree, type ClusterDescription, type Described } from './_describe-tree.js';
import { findCluster, requireClusterResource } from './_find-cluster.js';
import { managementClient } from './_management-client.js';
import { lastSeen, type KubeEvent } from '../../model/kube-event.js';

interface Options {
  stage?: string;
  output: 'tree' | 'json' | 'yaml';
  kubeconfig?: string;
  context?: string;
}

/** A v1beta2 contract reference: API group, kind, name. */
interface ContractRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

const CAPI = '/apis/cluster.x-k8s.io/v1beta2';

async function getOptional(client: KubeClient, path: string): Promise<Described | undefined> {
  try {
    return (await client.request<Described>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if (error instanceof KubeError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
}

/** The object a contract reference names, found through discovery of its group (preferred version, plural). */
async function referenced(client: KubeClient, namespace: string, ref: ContractRef | undefined): Promise<Described | undefined> {
  if (!ref?.apiGroup || !ref.kind || !ref.name) return undefined;
  const group = await getOptional(client, `/apis/${ref.apiGroup}`);
  const version = (group as unknown as { preferredVersion?: { version: string } } | undefined)?.preferredVersion?.version;
  if (!version) return undefined;
  const resources = (await client.request<{ resources: Array<{ name: string; kind: string }> }>({ verb: 'get', method: 'GET', path: `/apis/${ref.apiGroup}/${version}` })).body.resources;
  const plural = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'))?.name;
  return plural ? getOptional(client, `/apis/${ref.apiGroup}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(ref.name)}`) : undefined;
}

/** Reads everything the tree shows of one cluster. */
async function describeCluster(client: KubeClient, workloadCluster: Described): Promise<ClusterDescription> {
  const ns = workloadCluster.metadata.namespace!;
  const name = workloadCluster.metadata.name;
  const ownedBy = { labelSelector: `cluster.x-k8s.io/cluster-name=${name}` };
  const cluster = await getOptional(client, `${CAPI}/namespaces/${encodeURIComponent(ns)}/clusters/${encodeURIComponent(name)}`);
  const list = async (plural: string) =>
    cluster ? (await client.request<{ items: Described[] }>({ verb: 'list', method: 'GET', path: `${CAPI}/namespaces/${encodeURIComponent(ns)}/${plural}`, query: ownedBy })).body.items : [];
  const [infrastructure, controlPlane, deployments, machines, events] = await Promise.all([
    referenced(client, ns, cluster?.spec?.infrastructureRef),
    referenced(client, ns, cluster?.spec?.controlPlaneRef),
    list('machinedeployments'),
    list('machines'),
    client
      .request<{ items: KubeEvent[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, query: { fieldSelector: `involvedObject.kind=WorkloadCluster,involvedObject.name=${name}` } })
      .then((r) => r.body.items),
  ]);
  const byName = (a: Described, b: Described) => a.metadata.name.localeCompare(b.metadata.name);
  const seen = (e: KubeEvent) => Date.parse(lastSeen(e) ?? '');
  return {
    workloadCluster,
    cluster,
    infrastructure,
    controlPlane,
    machineDeployments: deployments.sort(byName).map((md) => ({
      ...md,
      machines: machines.filter((m) => m.metadata.labels?.['cluster.x-k8s.io/deployment-name'] === md.metadata.name).sort(byName),
    })),
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
