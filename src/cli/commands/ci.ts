import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import { synthFleet } from '../../synth/synth.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { formatCiSummary, type CiFindings } from './_ci-summary.js';
import { connect } from './_cluster-session.js';
import { PulumiUnavailableError, runManagementStack } from './_pulumi-stack.js';
import { COMMANDS } from '../command-table.js';

const defaultContext: CommandContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  exit: (code) => {
    process.exitCode = code;
  },
};

/** Options of `clusterops ci`. */
export interface CiCommandOptions {
  clusters: string;
  kubeconfig?: string;
  context?: string;
  backend?: string;
  stack?: string;
  /** `--no-preview` sets this to false. */
  preview: boolean;
  out: string;
  timeout: string;
}

/**
 * `clusterops ci`: validate, diff against the management cluster (with --kubeconfig) and the Pulumi
 * preview, as one Markdown summary with a section per cluster. Exit 1 when the declarations are
 * invalid or a check that ran failed; changes alone do not fail.
 */
export function ciCommand(ctx: CommandContext = defaultContext): Command {
  return new Command('ci')
    .description(COMMANDS.ci.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster; without it the diff is skipped')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--backend <url>', 'Pulumi state backend (default: $PULUMI_BACKEND_URL, else file://~)')
    .option('--stack <name>', 'Pulumi stack (default: the selected stack)')
    .option('--no-preview', 'skip the Pulumi preview')
    .option('--out <file>', 'where to write the Markdown (- for stdout)', '-')
    .option('--timeout <duration>', 'time allowed for waits', '5m')
    .action(async (opts: CiCommandOptions) => {
      const { fleet, problems } = await loadFleet(opts.clusters);
      for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
      const findings: CiFindings = {
        clustersDir: opts.clusters,
        fleet,
        problems,
        diff: { ran: false, note: 'skipped: no --kubeconfig given' },
        preview: { ran: false, note: 'skipped: --no-preview' },
      };
      if (fleet) {
        if (opts.kubeconfig) {
          const sets = synthFleet(fleet).filter((s) => s.target.kind === 'management');
          let session;
          try {
            session = await connect(ctx, { clusters: opts.clusters, kubeconfig: opts.kubeconfig, context: opts.context, output: 'json', timeout: opts.timeout });
          } catch (error) {
            if (error instanceof UsageError) throw error;
            findings.diff = { ran: false, failed: true, note: `failed: ${error instanceof Error ? error.message : String(error)}` };
          }
          if (session) {
            try {
              const changes = await session.manager.diffAll(sets, {});
              findings.diff = { ran: true, result: { changes, sets } };
            } finally {
              session.client.close();
            }
          }
        }
        if (opts.preview) {
          try {
            const result = await runManagementStack({ clusters: opts.clusters, kubeconfig: opts.kubeconfig, backend: opts.backend, stack: opts.stack });
            findings.preview = { ran: true, result };
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            findings.preview =
              error instanceof PulumiUnavailableError
                ? { ran: false, note: `skipped: ${message}` }
                : { ran: false, failed: true, note: `failed: ${message}` };
          }
        }
      }
      const markdown = formatCiSummary(findings);
      if (opts.out === '-') ctx.stdout.write(markdown);
      else await writeFile(opts.out, markdown);
      const failed =
        !fleet ||
        (findings.diff.ran ? findings.diff.result.changes.errors.length > 0 : findings.diff.failed === true) ||
        (!findings.preview.ran && findings.preview.failed === true);
      return ctx.exit(failed ? ExitCode.failed : ExitCode.ok);
    });
}
