import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { ManifestSet } from '../../model/manifest-set.js';
import { LoadMemo, loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import { synthDifferingSets, synthFleet } from '../../synth/synth.js';
import { diffRevisions } from '../../model/revision-diff.js';
import { BaseRevisionError, readBaseRevision } from './_base-revision.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { formatCiSummary, notChecked, type CiFindings } from './_ci-summary.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';


/** Options of `clusterops ci`. */
export interface CiCommandOptions {
  clusters: string;
  kubeconfig?: string;
  context?: string;
  backend?: string;
  stack?: string;
  /** Base revision of the offline diff. @default the merge base of HEAD with the default branch */
  base?: string;
  /** `--no-offline` sets this to false. */
  offline: boolean;
  /** `--no-preview` sets this to false. */
  preview: boolean;
  out: string;
  timeout: string;
}

/**
 * `clusterops ci`: validate; the offline diff (base revision against head, synthesized, object by
 * object); the diff against the management cluster (with --kubeconfig); and the Pulumi preview:
 * one Markdown summary, per stage and per cluster. Changes alone never fail. Exit 0: every check
 * ran and passed; 1: invalid declarations, or a check failed; 3: what ran passed, but a check could
 * not run (named in the summary's header), including one turned off with --no-*.
 */
export function ciCommand(ctx: CommandContext = processContext): Command {
  return new Command('ci')
    .description(COMMANDS.ci.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster; without it the diff is skipped')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--backend <url>', 'Pulumi state backend (default: $PULUMI_BACKEND_URL, else file://~)')
    .option('--stack <name>', 'Pulumi stack (default: the selected stack)')
    .option('--base <ref>', 'base revision of the offline diff (default: the merge base of HEAD with the default branch)')
    .option('--no-offline', 'skip the offline diff (base against head)')
    .option('--no-preview', 'skip the Pulumi preview')
    .option('--out <file>', 'where to write the Markdown (- for stdout)', '-')
    .option('--timeout <duration>', 'time allowed for waits', '5m')
    .action(async (opts: CiCommandOptions) => {
      // When only declarations differ, the base is loaded by the same code: it reuses what the head's load validated.
      const memo = new LoadMemo();
      const { fleet, problems } = await loadFleet(opts.clusters, { memo });
      for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
      const findings: CiFindings = {
        clustersDir: opts.clusters,
        fleet,
        problems,
        offline: { ran: false, note: 'not run: --no-offline' },
        diff: { ran: false, note: 'not run: no --kubeconfig given' },
        preview: { ran: false, note: 'not run: --no-preview' },
      };
      if (fleet) {
        let headSets: ManifestSet[] | undefined;
        const synthHead = () => (headSets ??= synthFleet(fleet));
        if (opts.offline) {
          try {
            const base = await readBaseRevision(opts.clusters, opts.base, { fleet, memo });
            // One code for both: only the sets whose clusters differ are synthesized and compared.
            const sets = base.synthesizedWith === 'in-process' ? synthDifferingSets(base.fleet, fleet) : { base: base.sets, head: synthHead() };
            findings.offline = { ran: true, result: { base, diff: diffRevisions(sets.base, sets.head) } };
          } catch (error) {
            if (!(error instanceof BaseRevisionError)) throw error;
            findings.offline = { ran: false, failed: !!opts.base, note: `${opts.base ? 'failed' : 'not run'}: ${error.message}` };
          }
        }
        if (opts.kubeconfig) {
          const sets = synthHead().filter((s) => s.target.kind === 'management');
          // Loaded only when asked for: the Kubernetes client and Pulumi take seconds to import.
          const { connect } = await import('./_cluster-session.js');
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
          const { PulumiUnavailableError, runManagementStack } = await import('../../pulumi/stack-run.js');
          try {
            const result = await runManagementStack({ clusters: opts.clusters, kubeconfig: opts.kubeconfig, backend: opts.backend, stack: opts.stack });
            findings.preview = { ran: true, result };
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            findings.preview =
              error instanceof PulumiUnavailableError
                ? { ran: false, note: `not run: ${message}` }
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
        (!findings.preview.ran && findings.preview.failed === true) ||
        (!findings.offline.ran && findings.offline.failed === true);
      return ctx.exit(failed ? ExitCode.failed : notChecked(findings).length ? ExitCode.incomplete : ExitCode.ok);
    });
}
