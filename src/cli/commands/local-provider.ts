import { Command } from 'commander';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';


/**
 * `clusterops local-provider --kubeconfig F --state-dir DIR`: runs the controllers of the `local`
 * provider against a management cluster until SIGTERM/SIGINT; the workload control planes it started
 * keep running after it stops (the next start adopts them).
 */
export function localProviderCommand(ctx: CommandContext = processContext): Command {
  return new Command('local-provider')
    .description(COMMANDS['local-provider'].description)
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the management cluster')
    .requiredOption('--state-dir <dir>', 'folder of the workload control planes (<dir>/<namespace>/<cluster>/)')
    .option('--bin-dir <dir>', 'folder with etcd, kube-apiserver and kube-controller-manager (default: what tools/build.sh prints)')
    .action(async (opts: { kubeconfig: string; stateDir: string; binDir?: string }) => {
      if (opts.stateDir.trim() === '') throw new UsageError('--state-dir must not be empty');
      const { startLocalProvider } = await import('../../localprovider/local-provider.js');
      const provider = await startLocalProvider({ kubeconfig: opts.kubeconfig, stateDir: opts.stateDir, binDir: opts.binDir });
      await new Promise<void>((resolve) => {
        for (const name of ['SIGTERM', 'SIGINT'] as const) process.once(name, () => resolve());
      });
      await provider.stop();
      return ctx.exit(ExitCode.ok);
    });
}
