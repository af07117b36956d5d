import { Command } from 'commander';
import { FleetDirError } from '../../spec/load.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { deliverAddons, type AddonDelivery } from './_addon-delivery.js';
import { connect, declaredSets, processContext, outputOption, printChangeSet, type ClusterCommandOptions } from './_cluster-session.js';
import { COMMANDS } from '../command-table.js';

interface DiffCommandOptions extends ClusterCommandOptions {
  addons?: boolean;
}

/** Exit code of `diff` when something went wrong (kubectl diff: greater than 1). */
export const DIFF_ERROR_EXIT = 2;

/** `clusterops diff`: what `apply` would change in the management cluster; exit 0 none, 1 changes, 2 error. */
export function diffCommand(ctx: CommandContext = processContext): Command {
  return new Command('diff')
    .description(COMMANDS.diff.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .addOption(outputOption())
    .option('--addons', 'also diff each cluster\'s add-ons inside it, once Secret <cluster>-kubeconfig exists in the management cluster')
    .option('--prune', 'also show what apply --prune would delete')
    .option('--allow-mass-prune', 'do not refuse a prune of more than half of an inventory')
    .option('--force-conflicts', 'diff as if fields owned by other managers were taken over')
    .option('--timeout <duration>', 'time allowed for waits', '5m')
    .action(async (opts: DiffCommandOptions) => {
      let endProgress = () => {};
      try {
        const sets = await declaredSets(ctx, opts.clusters);
        if (!sets) return ctx.exit(DIFF_ERROR_EXIT);
        const session = await connect(ctx, opts);
        endProgress = session.endProgress;
        let addons: AddonDelivery | undefined;
        try {
          const options = { prune: opts.prune, allowMassPrune: opts.allowMassPrune, force: opts.forceConflicts };
          const cs = await session.manager.diffAll(sets.management, options);
          if (opts.addons) {
            addons = await deliverAddons(session, sets.addons, (manager, set) => manager.diffAll([set], options), true);
            cs.merge(addons.changeSet);
          }
          endProgress();
          printChangeSet(ctx, cs, opts.output);
          return ctx.exit(cs.errors.length > 0 ? DIFF_ERROR_EXIT : cs.hasChanges ? ExitCode.failed : ExitCode.ok);
        } finally {
          addons?.close();
          session.client.close();
        }
      } catch (error) {
        endProgress();
        ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        return ctx.exit(error instanceof UsageError || error instanceof FleetDirError ? ExitCode.usage : DIFF_ERROR_EXIT);
      }
    });
}
