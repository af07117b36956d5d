import { Command, Option } from 'commander';
import { drill, DrillError, type DrillResult } from '../../recovery/drill.js';
import { PulumiUnavailableError } from '../../pulumi/engine.js';
import { findProjectDir } from '../../pulumi/stack-run.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { parseDuration } from './_cluster-session.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';

interface DrillCommandOptions {
  clusters?: string;
  count: string;
  workDir?: string;
  keep?: boolean;
  interruptRebuildAt?: string;
  timeout: string;
  output: 'text' | 'json';
}

/** The result as a table of checks and steps, then the verdict and the RTO. */
export function formatDrillResult(result: DrillResult): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const stepWidth = Math.max(...[...result.steps, ...result.rebuildSteps].map((s) => s.name.length)) + 2;
  return [
    `CHECK${' '.repeat(width - 3)}RESULT  DETAIL`,
    ...result.checks.map((c) => `${c.name.padEnd(width + 2)}${(c.passed ? 'pass' : 'FAIL').padEnd(8)}${c.detail}`),
    '',
    `STEP${' '.repeat(stepWidth - 2)}SECONDS`,
    ...result.steps.flatMap((s) => [
      `${s.name.padEnd(stepWidth + 2)}${s.seconds.toFixed(1).padStart(7)}`,
      ...(s.name === 'rebuild' ? result.rebuildSteps.map((r) => `  ${r.name.padEnd(stepWidth)}${r.seconds.toFixed(1).padStart(7)}`) : []),
    ]),
    '',
    `${result.passed ? 'passed' : 'FAILED'}: ${result.clusters.length} clusters, RTO ${result.rtoSeconds.toFixed(1)} s (disaster -> every WorkloadCluster Ready at the branch head)`,
    '',
  ].join('\n');
}

/** `clusterops drill`: see src/recovery/drill.ts; exit 0 when every check passed, 1 when one failed or the drill could not finish, 2 usage. */
export function drillCommand(ctx: CommandContext = processContext): Command {
  return new Command('drill')
    .description(COMMANDS.drill.description)
    .option('--clusters <dir>', 'a clusters folder of provider local clusters to rehearse with (default: a generated fleet)')
    .option('--count <n>', 'size of the generated fleet: one protected cluster in production, the rest in staging', '3')
    .option('--work-dir <dir>', 'scratch folder (default: a new temporary one, removed at the end)')
    .option('--keep', 'leave the scratch fleet running and its folder in place')
    .option('--interrupt-rebuild-at <step>', 'also rehearse a rebuild killed (SIGKILL) as it begins this step (e.g. "apply paused"), then run again')
    .option('--timeout <duration>', 'time allowed for each wait', '15m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: DrillCommandOptions) => {
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count ${JSON.stringify(opts.count)} is not a positive whole number`);
      try {
        const result = await drill({
          projectDir: findProjectDir(),
          clustersDir: opts.clusters,
          count,
          workDir: opts.workDir,
          keep: opts.keep,
          interruptRebuildAt: opts.interruptRebuildAt,
          timeoutMs: parseDuration(opts.timeout),
          progress: (line) => ctx.stderr.write(`${line}\n`),
        });
        const { workDir: _scratch, ...shown } = result;
        ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : formatDrillResult(result));
        return ctx.exit(result.passed ? ExitCode.ok : ExitCode.failed);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // CI reads one object, also from a drill that could not finish.
        if (opts.output === 'json') ctx.stdout.write(`${JSON.stringify({ passed: false, error: message, steps: error instanceof DrillError ? error.steps : [] }, null, 2)}\n`);
        ctx.stderr.write(`error: ${message}\n`);
        if ((error instanceof DrillError ? error.cause : error) instanceof PulumiUnavailableError) return ctx.exit(ExitCode.usage);
        return ctx.exit(ExitCode.failed);
      }
    });
}
