import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command, Option } from 'commander';
import { ClusterApiRuntime, localProviderController } from '../../controlplane/cluster-api-runtime.js';
import { ControlPlane } from '../../controlplane/control-plane.js';
import { stopControlPlanesUnder } from '../../controlplane/control-plane-stop.js';
import { installClusterApiCrds } from '../../controlplane/crds.js';
import type { LogFormat } from '../../reconciler/log-format.js';
import { createLogger } from '../../reconciler/logger.js';
import { Redactor } from '../../reconciler/redact.js';
import { parseDuration, startReconcilerProcess } from '../../reconciler/reconciler-process.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { untilSignal } from './reconcile.js';
import { readableFile } from './_reconcile-flags.js';
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
    .option('--listen <addr>', 'address of /metrics, /healthz, /readyz, /hooks/git and the dashboard (/)', '127.0.0.1:8080')
    .option('--dashboard-token-file <file>', 'ask for the token in this file on the dashboard, also from loopback (default: no login from this machine)')
    .option('--interval <duration>', 'how often to look for new commits', '5s')
    .option('--insecure-synth', "run each revision's code without the sandbox, where bubblewrap cannot make one")
    .option('--no-capi', 'do not run Cluster API and the local provider (clusters are declared, never brought up)')
    .addOption(new Option('--log-format <format>', 'log lines: text on a terminal, json otherwise (the default picks by stderr)').choices(['json', 'text']))
    .action(async (flags: { stateDir: string; listen: string; dashboardTokenFile?: string; interval: string; insecureSynth?: boolean; capi: boolean; logFormat?: LogFormat }) => {
      const root = await git(process.cwd(), 'rev-parse', '--show-toplevel');
      const branch = await git(root, 'rev-parse', '--abbrev-ref', 'HEAD');
      if (branch === 'HEAD') throw new UsageError('HEAD is detached; check out a branch so clusterops dev knows which commits to follow');
      let intervalMs: number;
      try {
        intervalMs = parseDuration(flags.interval);
      } catch (error) {
        throw new UsageError(`--interval: ${error instanceof Error ? error.message : String(error)}`);
      }
      const dashboardTokenFile = flags.dashboardTokenFile === undefined ? undefined : readableFile(flags.dashboardTokenFile, '--dashboard-token-file');
      const stateDir = path.resolve(flags.stateDir);
      const say = (line: string) => ctx.stderr.write(`${line}\n`);
      const redactor = new Redactor();
      const managementDir = path.join(stateDir, 'management');
      const controlPlane = await ControlPlane.start({ stateDir: managementDir, progress: say });
      let clusterApi: ClusterApiRuntime | undefined;
      try {
        await installClusterApiCrds(controlPlane.kubeconfigPath, { progress: say });
        if (flags.capi) {
          const controllers = [localProviderController(managementDir, controlPlane.kubeconfigPath)];
          clusterApi = await ClusterApiRuntime.start({ stateDir: managementDir, kubeconfig: controlPlane.kubeconfigPath, progress: say, controllers });
        }
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
          dashboardTokenFile,
          // On this machine the dashboard needs no login, unless a token file is given; elsewhere it always does.
          dashboardAnonymousLoopback: flags.dashboardTokenFile === undefined,
          redactor,
          logger: createLogger({ level: process.env.CLUSTEROPS_LOG_LEVEL ?? 'info', redactor, format: flags.logFormat }),
        });
        const kc = path.relative(process.cwd(), controlPlane.kubeconfigPath) || controlPlane.kubeconfigPath;
        const lines = [
          '',
          `clusterops dev: following ${root} (branch ${branch}); commit to apply, uncommitted changes are not seen`,
          flags.capi
            ? '  running:     Cluster API (core, kubeadm bootstrap, kubeadm control plane) and the local provider: provider local clusters come up for real'
            : '  running:     no Cluster API (--no-capi): clusters are applied as objects, none comes up',
          `  kubeconfig:  ${controlPlane.kubeconfigPath}`,
          `  fleet:       npx clusterops get clusters --kubeconfig ${kc}    (or KUBECONFIG=${kc} kubectl get workloadclusters -A)`,
          ...(flags.capi ? [`  a cluster:   npx clusterops kubeconfig NAME --kubeconfig ${kc} > NAME.kubeconfig && kubectl --kubeconfig NAME.kubeconfig get nodes`] : []),
          ...(running.server
            ? [
                ...(running.dashboard ? [`  dashboard:   ${running.server.url}/${flags.dashboardTokenFile ? '    (log in with the token in --dashboard-token-file)' : '    (no login from this machine; other hosts are refused)'}`] : []),
                `  metrics:     ${running.server.url}/metrics`,
                `  ready:       ${running.server.url}/readyz`,
              ]
            : []),
          '  stop:        Ctrl-C',
          '',
        ];
        ctx.stdout.write(`${lines.join('\n')}\n`);
        await untilSignal();
        await running.stop();
      } finally {
        await clusterApi?.stop();
        // The local provider's workload control planes (their data stays: the next start brings them back).
        if (clusterApi) await stopControlPlanesUnder(path.join(managementDir, 'local-clusters'), (key) => say(`clusterops dev: stopped local cluster ${key}`));
        await controlPlane.stop();
      }
      return ctx.exit(ExitCode.ok);
    });
}
