import { Command } from 'commander';
import type { ApplyOptions } from '../../apply/manager-apply.js';
import type { ResourceManager } from '../../apply/resource-manager.js';
import { waitObjectName, type WaitObject } from '../../apply/wait.js';
import { FleetDirError } from '../../spec/load.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { deliverAddons, type AddonDelivery } from './_addon-delivery.js';
import { connect, declaredSets, processContext, outputOption, parseDuration, printChangeSet, type ClusterCommandOptions } from './_cluster-session.js';
import { COMMANDS } from '../command-table.js';

interface ApplyCommandOptions extends ClusterCommandOptions {
  addons?: boolean;
  dryRun?: boolean;
  forceReplace?: boolean;
  wait?: boolean;
}

/** `clusterops apply`: server-side apply of the management-cluster sets (and with --addons each cluster's add-ons), with safe pruning; exit 0 done, 1 errors, 2 usage. */
export function applyCommand(ctx: CommandContext = processContext): Command {
  return new Command('apply')
    .description(COMMANDS.apply.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .addOption(outputOption())
    .option('--addons', 'also apply each cluster\'s add-ons inside it, once Secret <cluster>-kubeconfig exists in the management cluster')
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
        const sets = await declaredSets(ctx, opts.clusters);
        if (!sets) return ctx.exit(ExitCode.failed);
        const session = await connect(ctx, opts);
        endProgress = session.endProgress;
        let addons: AddonDelivery | undefined;
        try {
          const options: ApplyOptions = {
            dryRun: opts.dryRun,
            prune: opts.prune,
            allowMassPrune: opts.allowMassPrune,
            force: opts.forceConflicts,
            forceReplace: opts.forceReplace,
          };
          const cs = await session.manager.applyAll(sets.management, options);
          if (opts.addons) {
            addons = await deliverAddons(session, sets.addons, (manager, set) => manager.applyAll([set], options), opts.dryRun ?? false);
            cs.merge(addons.changeSet);
          }
          endProgress();
          printChangeSet(ctx, cs, opts.output);
          if (cs.errors.length > 0) return ctx.exit(ExitCode.failed);
          if (opts.wait && !opts.dryRun) {
            const timeoutMs = parseDuration(opts.timeout);
            const waits = [waitFor(ctx, session.manager, sets.management.flatMap((set) => set.objects), timeoutMs, '')];
            for (const d of addons?.delivered ?? []) waits.push(waitFor(ctx, d.manager, d.set.objects, timeoutMs, `${d.cluster}: `));
            const ok = await Promise.all(waits);
            if (ok.includes(false)) return ctx.exit(ExitCode.failed);
          }
          return ctx.exit(ExitCode.ok);
        } finally {
          addons?.close();
          session.client.close();
        }
      } catch (error) {
        endProgress();
        ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        return ctx.exit(error instanceof UsageError || error instanceof FleetDirError ? ExitCode.usage : ExitCode.failed);
      }
    });
}

/** Waits for one cluster's objects, reporting on stderr with `prefix` (the workload cluster, or '' for the management cluster); true when all are healthy. */
async function waitFor(ctx: CommandContext, manager: ResourceManager, objects: WaitObject[], timeoutMs: number, prefix: string): Promise<boolean> {
  const tty = ctx.stderr.isTTY === true;
  const result = await manager.wait(objects, {
    timeoutMs,
    onProgress: (ref, health) => {
      if (tty || health.status !== 'Current') ctx.stderr.write(`wait: ${prefix}${waitObjectName(ref)}: ${health.status}: ${health.message}\n`);
    },
  });
  ctx.stderr.write(`wait: ${prefix}${result.message}\n`);
  return result.ok;
}
