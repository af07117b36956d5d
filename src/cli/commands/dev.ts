import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { ControlPlane } from '../../controlplane/control-plane.js';
import { installClusterApiCrds } from '../../controlplane/crds.js';
import { createLogger } from '../../reconciler/logger.js';
import { Redactor } from '../../reconciler/redact.js';
import { parseDuration, startReconcilerProcess } from '../../reconciler/reconciler-process.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { untilSignal } from './reconcile.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';

const run = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  try {
    return (await run('git', args, { cwd })).stdout.trim();
  } catch {
    throw new UsageError(`${cwd} is not inside a git repository with a commit; clusterops dev follows this repository's commits`);
  }
}

/** `clusterops dev` (and `npm start`): a local management cluster, reconciled from this repository's commits. */
export function devCommand(ctx: CommandContext = processContext): Command {
  return new Command('dev')
    .description(COMMANDS.dev.description)
    .option('--state-dir <dir>', 'folder for the control plane and the reconciler cache', '.clusterops/dev')
    .option('--listen <addr>', 'address of /metrics, /healthz, /readyz and /hooks/git', '127.0.0.1:8080')
    .option('--interval <duration>', 'how often to look for new commits', '5s')
    .option('--insecure-synth', "run each revision's code without the sandbox, where bubblewrap cannot make one")
    .action(async (flags: { stateDir: string; listen: string; interval: string; insecureSynth?: boolean }) => {
      const root = await git(process.cwd(), 'rev-parse', '--show-toplevel');
      const branch = await git(root, 'rev-parse', '--abbrev-ref', 'HEAD');
      if (branch === 'HEAD') throw new UsageError('HEAD is detached; check out a branch so clusterops dev knows which commits to follow');
      let intervalMs: number;
      try {
        intervalMs = parseDuration(flags.interval);
      } catch (error) {
        throw new UsageError(`--interval: ${error instanceof Error ? error.message : String(error)}`);
      }
      const stateDir = path.resolve(flags.stateDir);
      const say = (line: string) => ctx.stderr.write(`${line}\n`);
      const redactor = new Redactor();
      const controlPlane = await ControlPlane.start({ stateDir: path.join(stateDir, 'management'), progress: say });
      try {
        await installClusterApiCrds(controlPlane.kubeconfigPath, { progress: say });
        const running = await startReconcilerProcess({
          repo: `file://${root}`,
          branch,
          kubeconfig: controlPlane.kubeconfigPath,
          cacheDir: path.join(stateDir, 'reconciler'),
          pollIntervalMs: intervalMs,
          listen: flags.listen,
          leaderElection: false,
          seedInstallations: [root],
          insecureSynth: flags.insecureSynth,
          redactor,
          logger: createLogger({ level: process.env.CLUSTEROPS_LOG_LEVEL ?? 'info', redactor }),
        });
        const lines = [
          '',
          `clusterops dev: following ${root} (branch ${branch}); commit to apply, uncommitted changes are not seen`,
          `  kubeconfig:  ${controlPlane.kubeconfigPath}`,
          `  fleet:       KUBECONFIG=${controlPlane.kubeconfigPath} kubectl get workloadclusters -A`,
          ...(running.server ? [`  metrics:     ${running.server.url}/metrics`, `  ready:       ${running.server.url}/readyz`] : []),
          '  stop:        Ctrl-C',
          '',
        ];
        ctx.stdout.write(`${lines.join('\n')}\n`);
        await untilSignal();
        await running.stop();
      } finally {
        await controlPlane.stop();
      }
      return ctx.exit(ExitCode.ok);
    });
}
