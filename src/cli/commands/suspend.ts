import { Command } from 'commander';
import { SUSPEND_ANNOTATION } from '../../charts/workload-cluster-crd.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { findCluster, requireClusterResource, workloadClusterPath } from './_find-cluster.js';
import { managementClient } from './_management-client.js';

interface Options {
  stage?: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * `clusterops suspend cluster NAME` / `resume cluster NAME`: set or remove the annotation
 * `clusterops.io/suspend: "true"` on the cluster's WorkloadCluster. The reconciler reads it within
 * seconds; a suspended cluster is applied to no more (neither set), and says Suspended.
 */
function toggleCommand(name: 'suspend' | 'resume', ctx: CommandContext): Command {
  return new Command(name)
    .description(COMMANDS[name].description)
    .argument('<resource>', 'cluster')
    .argument('<name>', 'name of the workload cluster')
    .option('--stage <stage>', 'stage of the cluster (needed when several stages have a cluster of that name)')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (resource: string, cluster: string, opts: Options) => {
      requireClusterResource(resource);
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const found = await findCluster(client, cluster, opts.stage);
        const stage = found.metadata.namespace;
        await client.request({
          verb: 'patch',
          method: 'PATCH',
          path: workloadClusterPath(stage, cluster),
          contentType: 'application/merge-patch+json',
          body: { metadata: { annotations: { [SUSPEND_ANNOTATION]: name === 'suspend' ? 'true' : null } } },
        });
        const inGit = (found as { spec?: { suspend?: boolean } }).spec?.suspend === true;
        ctx.stdout.write(`${stage}/${cluster} ${name === 'suspend' ? 'suspended' : 'resumed'}\n`);
        if (name === 'resume' && inGit) ctx.stderr.write(`warning: its declaration sets spec.suspend: true; it stays suspended until that is removed in git\n`);
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}

/** `clusterops suspend cluster NAME`. */
export function suspendCommand(ctx: CommandContext = processContext): Command {
  return toggleCommand('suspend', ctx);
}

/** `clusterops resume cluster NAME`. */
export function resumeCommand(ctx: CommandContext = processContext): Command {
  return toggleCommand('resume', ctx);
}
