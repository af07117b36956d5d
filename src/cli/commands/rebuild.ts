import { Command, Option } from 'commander';
import { PulumiUnavailableError } from '../../pulumi/engine.js';
import { RebuildLockedError } from '../../recovery/rebuild-lock.js';
import { rebuild, RebuildError, type ManagementSource, type RebuildReport } from '../../recovery/rebuild.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { checkBackendUrl } from './_backend-url.js';
import { parseDuration } from './_cluster-session.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';

interface RebuildCommandOptions {
  repo: string;
  branch: string;
  stack: string;
  backend?: string;
  kubeconfig?: string;
  stateDir?: string;
  localClustersDir?: string;
  projectDir?: string;
  allowNewIdentity: string[];
  timeout: string;
  output: 'text' | 'json';
}

/** The report as text: one row per step with its time, then what happens next. */
export function formatRebuildReport(report: RebuildReport): string {
  const width = Math.max(...report.steps.map((s) => s.name.length));
  const rows = report.steps.map((s) => `  ${s.name.padEnd(width)}  ${s.seconds.toFixed(1).padStart(6)} s  ${s.detail ?? ''}`.trimEnd());
  const total = report.steps.reduce((n, s) => n + s.seconds, 0);
  return [
    `rebuilt from ${report.revision.slice(0, 12)}: ${report.clusters.length} clusters adopted in ${total.toFixed(1)} s`,
    ...rows,
    ...report.undeclared.map((key) => `  kept: ${key} (identity in the state, no file at the branch head; not adopted)`),
    `management cluster: ${report.kubeconfig}`,
    'next: the reconciler takes over from the branch head (add-ons, status, drift)',
    '',
  ].join('\n');
}

/** `clusterops rebuild`: see src/recovery/rebuild.ts; exit 0 rebuilt, 1 stopped (nothing deleted), 2 usage, 4 another rebuild runs. */
export function rebuildCommand(ctx: CommandContext = processContext): Command {
  return new Command('rebuild')
    .description(COMMANDS.rebuild.description)
    .requiredOption('--repo <url>', 'the fleet repository (anything git clone takes)')
    .option('--branch <name>', 'branch whose head is rebuilt', 'main')
    .requiredOption('--stack <name>', 'Pulumi stack of the management plane (holds the cluster identities)')
    .option('--backend <url>', 'Pulumi state backend (default: $PULUMI_BACKEND_URL)')
    .option('--kubeconfig <file>', 'take this new management cluster, its current context (Cluster API and its providers running in it; every step uses that context)')
    .option('--state-dir <dir>', 'instead: start a local management cluster here, with Cluster API and the local provider')
    .option('--local-clusters-dir <dir>', "with --state-dir: where the local provider's workload clusters live (they outlive the management cluster)")
    .option('--project-dir <dir>', 'folder with Pulumi.yaml (default: the nearest one up from here)')
    .option('--allow-new-identity <stage/name>', 'a declared cluster that never existed: its identity may be created now (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--timeout <duration>', 'time allowed for the providers to adopt every cluster', '10m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: RebuildCommandOptions) => {
      if (!opts.kubeconfig === !opts.stateDir) throw new UsageError('give the new management cluster: --kubeconfig FILE (take it) or --state-dir DIR (start a local one)');
      if (opts.localClustersDir && !opts.stateDir) throw new UsageError('--local-clusters-dir goes with --state-dir');
      checkBackendUrl(opts.backend);
      const management: ManagementSource = opts.stateDir
        ? { stateDir: opts.stateDir, localClustersDir: opts.localClustersDir }
        : { kubeconfig: opts.kubeconfig! };
      try {
        const report = await rebuild({
          repo: opts.repo,
          branch: opts.branch,
          stack: opts.stack,
          backend: opts.backend,
          projectDir: opts.projectDir,
          management,
          allowNewIdentity: opts.allowNewIdentity,
          timeoutMs: parseDuration(opts.timeout),
          progress: (line) => ctx.stderr.write(`${line}\n`),
        });
        ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatRebuildReport(report));
        return ctx.exit(ExitCode.ok);
      } catch (error) {
        ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        const cause = error instanceof RebuildError ? error.cause : error;
        if (cause instanceof RebuildLockedError) return ctx.exit(ExitCode.locked);
        return ctx.exit(cause instanceof PulumiUnavailableError ? ExitCode.usage : ExitCode.failed);
      }
    });
}
