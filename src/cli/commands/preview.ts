import { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { PulumiUnavailableError, runManagementStack, type StackRunReport } from '../../pulumi/stack-run.js';
import { COMMANDS } from '../command-table.js';
import { checkBackendUrl } from './_backend-url.js';
import { processContext } from '../process-context.js';


/** Options of `clusterops preview`. */
export interface PreviewCommandOptions {
  clusters: string;
  kubeconfig?: string;
  backend?: string;
  stack?: string;
  up?: boolean;
  quiet?: boolean;
}

/** One line per planned step, then Pulumi's counts: `create 4, same 12`. */
export function formatStackReport(report: StackRunReport, up = false): string {
  const lines = report.steps.filter((s) => s.op !== 'same').map((s) => `  ${s.op.padEnd(8)} ${s.type} ${s.name}`);
  const counts = Object.entries(report.summary)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const verb = up ? 'up' : 'preview';
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${verb} of stack ${report.stack}: ${counts || 'no resources'} (${(report.durationMs / 1000).toFixed(1)} s)\n`;
}

/** `clusterops preview`: the real `pulumi preview` (or `up`) of the management stack, offline, with a file backend. */
export function previewCommand(ctx: CommandContext = processContext): Command {
  return new Command('preview')
    .description(COMMANDS.preview.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--backend <url>', 'Pulumi state backend (default: $PULUMI_BACKEND_URL, else file://~)')
    .option('--stack <name>', 'stack to use (default: the selected stack)')
    .option('--up', 'apply the changes (pulumi up) instead of previewing them')
    .option('-q, --quiet', "do not stream Pulumi's own progress output to stderr")
    .action(async (opts: PreviewCommandOptions) => {
      checkBackendUrl(opts.backend);
      try {
        const report = await runManagementStack({
          clusters: opts.clusters,
          kubeconfig: opts.kubeconfig,
          backend: opts.backend,
          stack: opts.stack,
          up: opts.up,
          onOutput: opts.quiet ? undefined : (text) => ctx.stderr.write(text),
        });
        ctx.stdout.write(formatStackReport(report, opts.up));
        return ctx.exit(ExitCode.ok);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        ctx.stderr.write(`error: ${message}\n`);
        return ctx.exit(error instanceof PulumiUnavailableError ? ExitCode.usage : ExitCode.failed);
      }
    });
}
