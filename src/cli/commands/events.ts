import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { lastSeen, type KubeEvent } from '../../model/kube-event.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { age, renderTable } from './_cluster-table.js';
import { requireClusterResource } from './_find-cluster.js';
import { managementClient } from './_management-client.js';

interface Options {
  stage?: string;
  output: 'table' | 'json' | 'yaml';
  kubeconfig?: string;
  context?: string;
}

const HEADERS = ['STAGE', 'LAST SEEN', 'TYPE', 'REASON', 'CLUSTER', 'COUNT', 'MESSAGE'] as const;

/** Event rows, oldest first, as `kubectl get events` orders them. */
export function eventRows(events: KubeEvent[], now: number): string[][] {
  return [...events]
    .sort((a, b) => Date.parse(lastSeen(a) ?? '') - Date.parse(lastSeen(b) ?? '') || a.metadata.name.localeCompare(b.metadata.name))
    .map((e) => [
      e.metadata.namespace,
      age(lastSeen(e), now),
      e.type ?? '',
      e.reason ?? '',
      e.involvedObject.name,
      String(e.count ?? 1),
      (e.message ?? '').replace(/\s*\n\s*/g, ' '),
    ]);
}

/** `clusterops events [cluster NAME]`: the Events the reconciler recorded on WorkloadClusters. */
export function eventsCommand(ctx: CommandContext = processContext): Command {
  return new Command('events')
    .description(COMMANDS.events.description)
    .argument('[resource]', 'cluster, to name one cluster')
    .argument('[name]', 'name of the workload cluster')
    .option('--stage <stage>', 'only the events of this stage')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (resource: string | undefined, name: string | undefined, opts: Options) => {
      if (resource !== undefined) {
        requireClusterResource(resource);
        if (name === undefined) throw new UsageError('events cluster NAME: name the cluster');
      }
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const selector = ['involvedObject.kind=WorkloadCluster', ...(name ? [`involvedObject.name=${name}`] : [])].join(',');
        const path = opts.stage ? `/api/v1/namespaces/${encodeURIComponent(opts.stage)}/events` : '/api/v1/events';
        const { body } = await client.request<{ items: KubeEvent[] }>({ verb: 'list', method: 'GET', path, query: { fieldSelector: selector } });
        if (opts.output !== 'table') {
          const list = { apiVersion: 'v1', kind: 'List', items: body.items, metadata: {} };
          ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list));
        } else if (body.items.length === 0) {
          ctx.stderr.write(`No events found${name ? ` for ${name}` : ''}${opts.stage ? ` in stage ${opts.stage}` : ''}.\n`);
        } else {
          ctx.stdout.write(renderTable(HEADERS, eventRows(body.items, Date.now())));
        }
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}
