import { Command } from 'commander';
import { FleetDirError } from '../../spec/load.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { waitObjectName } from '../../apply/wait.js';
import { connect, managementSets, processContext, outputOption, parseDuration, printChangeSet, type ClusterCommandOptions } from './_cluster-session.js';

interface ApplyCommandOptions extends ClusterCommandOptions {
  dryRun?: boolean;
  forceReplace?: boolean;
  wait?: boolean;
}

/** `clusterops apply`: server-side apply of the management-cluster sets, with safe pruning; exit 0 done, 1 errors, 2 usage. */
export function applyCommand(ctx: CommandContext = processContext): Command {
  return new Command('apply')
    .description('apply the declared clusters to the management cluster with server-side apply')
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .addOption(outputOption())
    .option('--dry-run', 'server-side dry-run: report what would change, change nothing')
    .option('--prune', 'delete objects applied before that are no longer declared (protected ones are skipped)')
    .option('--allow-mass-prune', 'allow a prune of more than half of an inventory')
    .option('--force-conflicts', 'take over fields owned by other field managers')
    .option('--force-replace', 'delete and recreate objects whose immutable fields changed (never protected ones)')
    .option('--wait', 'wait until the applied objects are healthy')
    .option('--timeout <duration>', 'time allowed for --wait and for CRDs to become established', '5m')
    .action(async (opts: ApplyCommandOptions) => {
      let endProgress = () => {};
      try {
        const sets = await managementSets(ctx, opts.clusters);
        if (!sets) return ctx.exit(ExitCode.failed);
        const session = await connect(ctx, opts);
        endProgress = session.endProgress;
        try {
          const cs = await session.manager.applyAll(sets, {
            dryRun: opts.dryRun,
            prune: opts.prune,
            allowMassPrune: opts.allowMassPrune,
            force: opts.forceConflicts,
            forceReplace: opts.forceReplace,
          });
          endProgress();
          printChangeSet(ctx, cs, opts.output);
          if (cs.errors.length > 0) return ctx.exit(ExitCode.failed);
          if (opts.wait && !opts.dryRun) {
            const objects = sets.flatMap((set) => set.objects);
            const tty = ctx.stderr.isTTY === true;
            const result = await session.manager.wait(objects, {
              timeoutMs: parseDuration(opts.timeout),
              onProgress: (ref, health) => {
                if (tty || health.status !== 'Current') ctx.stderr.write(`wait: ${waitObjectName(ref)}: ${health.status}: ${health.message}\n`);
              },
            });
            ctx.stderr.write(`wait: ${result.message}\n`);
            if (!result.ok) return ctx.exit(ExitCode.failed);
          }
          return ctx.exit(ExitCode.ok);
        } finally {
          session.client.close();
        }
      } catch (error) {
        endProgress();
        ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        return ctx.exit(error instanceof UsageError || error instanceof FleetDirError ? ExitCode.usage : ExitCode.failed);
      }
    });
}
