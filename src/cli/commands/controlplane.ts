import { relative, resolve } from 'node:path';
import { Command } from 'commander';
import { readControllersState } from '../../controlplane/cluster-api-runtime.js';
import { isRunning } from '../../controlplane/_proc.js';
import { controlPlaneStatus } from '../../controlplane/control-plane-status.js';
import { stopControlPlane } from '../../controlplane/control-plane-stop.js';
import { startDetachedControlPlane } from '../../controlplane/detached-control-plane.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';

/** Default state dir of `clusterops controlplane`, relative to the working directory. */
export const DEFAULT_STATE_DIR = '.clusterops/controlplane';
/** Exit code of `controlplane status` when the control plane is not running (kubectl-like "not found" style). */
export const NOT_RUNNING_EXIT = 3;


/** `clusterops controlplane start|status|stop`: a real local Kubernetes control plane for development. */
export function controlPlaneCommand(ctx: CommandContext = processContext): Command {
  const command = new Command('controlplane')
    .description(COMMANDS.controlplane.description)
    // Subcommands inherit this: usage errors reach main() as CommanderError (exit 2) instead of exiting here.
    .exitOverride();
  const stateDirOption = ['--state-dir <dir>', 'folder for certificates, etcd data, logs and kubeconfig', DEFAULT_STATE_DIR] as const;
  const progress = (line: string) => ctx.stderr.write(`${line}\n`);

  command
    .command('start')
    .description('start the control plane and install the Cluster API CRDs; prints the kubeconfig path when ready')
    .option(...stateDirOption)
    .option('--no-crds', 'do not install the Cluster API and provider CRDs')
    .option('--with-capi', 'also run the Cluster API managers (core, kubeadm bootstrap, kubeadm control plane), built by tools/build-capi.sh')
    .action(async (opts: { stateDir: string; crds: boolean; withCapi?: boolean }) => {
      const status = await controlPlaneStatus(opts.stateDir);
      if (status.condition === 'running') {
        progress(`controlplane: already running in ${display(status.stateDir)}`);
        ctx.stdout.write(`${status.state?.kubeconfig}\n`);
        return ctx.exit(ExitCode.ok);
      }
      const started = await startDetachedControlPlane({ stateDir: opts.stateDir, crds: opts.crds, withCapi: opts.withCapi, progress });
      progress(`controlplane: ready at ${started.server} (supervisor pid ${started.supervisorPid})`);
      progress(`controlplane: export KUBECONFIG=${display(started.kubeconfig)}`);
      ctx.stdout.write(`${started.kubeconfig}\n`);
      return ctx.exit(ExitCode.ok);
    });

  command
    .command('status')
    .description(`print whether the control plane runs, its pids, server and kubeconfig; exit ${NOT_RUNNING_EXIT} when it does not run`)
    .option(...stateDirOption)
    .action(async (opts: { stateDir: string }) => {
      const status = await controlPlaneStatus(opts.stateDir);
      const condition = status.condition === 'running' && status.ready === false ? 'running (not ready)' : status.condition;
      const lines = [`status:     ${condition}`, `state dir:  ${display(status.stateDir)}`];
      if (status.state && status.condition !== 'stopped') {
        lines.push(`server:     ${status.state.server}`, `kubeconfig: ${display(status.state.kubeconfig)}`);
        if (status.state.detached) lines.push(`supervisor: pid ${status.state.owner.pid}${status.ownerRunning ? '' : ' (gone)'}`);
        for (const entry of status.components) {
          lines.push(`${`${entry.component}:`.padEnd(36)} ${entry.running ? `pid ${entry.pid}` : 'not running'}`);
        }
        // The Cluster API managers and controllers of `--with-capi`, when they run.
        const controllers = await readControllersState(status.stateDir);
        for (const [name, ref] of Object.entries(controllers?.processes ?? {})) {
          const restarts = ref.restarts > 0 ? ` (restarted ${ref.restarts} times)` : '';
          lines.push(`${`${name}:`.padEnd(36)} ${isRunning(ref) ? `pid ${ref.pid}${restarts}` : 'not running'}`);
        }
      }
      ctx.stdout.write(`${lines.join('\n')}\n`);
      return ctx.exit(status.condition === 'running' ? ExitCode.ok : NOT_RUNNING_EXIT);
    });

  command
    .command('stop')
    .description('stop the control plane and wait until none of its processes is left (data is kept)')
    .option(...stateDirOption)
    .action(async (opts: { stateDir: string }) => {
      const result = await stopControlPlane(opts.stateDir, progress);
      ctx.stdout.write(result.wasRunning ? `stopped (pids ${result.stopped.join(', ')})\n` : 'not running\n');
      return ctx.exit(ExitCode.ok);
    });

  return command;
}

/** A path relative to the working directory when it lies below it. */
function display(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel && !rel.startsWith('..') ? rel : path;
}
