import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { WORKLOAD_CLUSTER_API_VERSION, WORKLOAD_CLUSTER_PLURAL } from '../../charts/workload-cluster-crd.js';
import { KubeError } from '../../kube/client.js';
import { Informer, type WatchedObject } from '../../kube/watch.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode, NotFoundError, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { clusterRows, HEADERS, renderTable, type ListedCluster } from './_cluster-table.js';
import { CLUSTER_RESOURCES } from './_find-cluster.js';
import { managementClient } from './_management-client.js';



interface Options {
  stage?: string;
  output: 'table' | 'wide' | 'json' | 'yaml';
  watch?: boolean;
  kubeconfig?: string;
  context?: string;
}

/**
 * `clusterops get clusters [NAME]`: the fleet as the management cluster knows it, one row per
 * WorkloadCluster (stage, provider, version, phase, ready, nodes, add-ons, revision, age and why it
 * is not Ready), or the objects as JSON/YAML; `-w` prints a row again whenever one changes.
 */
export function getCommand(ctx: CommandContext = processContext): Command {
  return new Command('get')
    .description(COMMANDS.get.description)
    .argument('<resource>', 'clusters (also: cluster, workloadclusters, wc)')
    .argument('[name]', 'only this cluster')
    .option('--stage <stage>', 'only the clusters of this stage')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
    .option('-w, --watch', 'after the list, print a cluster again each time it changes (until interrupted)')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (resource: string, name: string | undefined, opts: Options) => {
      if (!CLUSTER_RESOURCES.has(resource)) throw new UsageError(`unknown resource "${resource}": clusterops get knows clusters`);
      if (opts.watch && (opts.output === 'json' || opts.output === 'yaml')) throw new UsageError('--watch prints table rows; use it with -o table or -o wide');
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const path = `/apis/${WORKLOAD_CLUSTER_API_VERSION}${opts.stage ? `/namespaces/${encodeURIComponent(opts.stage)}` : ''}/${WORKLOAD_CLUSTER_PLURAL}`;
        const selected = (c: ListedCluster) => name === undefined || c.metadata.name === name;
        let items: ListedCluster[];
        try {
          items = (await client.request<{ items: ListedCluster[] }>({ verb: 'list', method: 'GET', path })).body.items.filter(selected);
        } catch (error) {
          if (error instanceof KubeError && error.status === 404) {
            throw new UsageError('the management cluster has no WorkloadCluster resource: no clusterops reconciler or apply has run against it');
          }
          throw error;
        }
        if (name !== undefined && items.length === 0) throw new NotFoundError(`no workload cluster named ${name}${opts.stage ? ` in stage ${opts.stage}` : ' in any stage'}`);
        const wide = opts.output === 'wide';
        if (opts.output === 'json' || opts.output === 'yaml') {
          const list = { apiVersion: 'v1', kind: 'List', items, metadata: {} };
          ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list));
          return ctx.exit(ExitCode.ok);
        }
        if (items.length === 0 && !opts.watch) ctx.stderr.write(`No workload clusters found${opts.stage ? ` in stage ${opts.stage}` : ''}.\n`);
        else ctx.stdout.write(renderTable(HEADERS, clusterRows(items, Date.now(), wide)));
        if (opts.watch) await watchRows(ctx, client, path, selected, wide, items);
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}

/** Prints a row each time a cluster changes, as `kubectl get -w` does, until SIGINT or SIGTERM. */
async function watchRows(
  ctx: CommandContext,
  client: Awaited<ReturnType<typeof managementClient>>,
  path: string,
  selected: (c: ListedCluster) => boolean,
  wide: boolean,
  listed: ListedCluster[],
): Promise<void> {
  const key = (c: ListedCluster) => `${c.metadata.namespace}/${c.metadata.name}`;
  // What was printed per cluster; the first list of the watch repeats it, and a status write that changes no column prints nothing.
  const printed = new Map(listed.map((c) => [key(c), clusterRows([c], Date.now(), wide)[0].join('\0')]));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...clusterRows(listed, Date.now(), wide).map((r) => r[i].length)));
  const informer = new Informer<ListedCluster & WatchedObject>({
    client,
    path,
    onEvent: ({ object }) => {
      if (!selected(object)) return;
      const cells = clusterRows([object], Date.now(), wide)[0];
      if (printed.get(key(object)) === cells.join('\0')) return;
      printed.set(key(object), cells.join('\0'));
      ctx.stdout.write(`${cells.map((cell, i) => cell.padEnd(widths[i])).join('   ').trimEnd()}\n`);
    },
    onError: (error) => ctx.stderr.write(`warning: watch interrupted, resuming: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    informer.start();
  });
  await informer.stop();
}
