import { Command } from 'commander';
import { loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { COMMANDS } from '../command-table.js';

/** `clusterops validate`: checks every declaration and prints one line per problem. */
export function validateCommand(ctx: CommandContext): Command {
  return new Command('validate')
    .description(COMMANDS.validate.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (opts: { clusters: string; quiet?: boolean }) => {
      const { fleet, problems } = await loadFleet(opts.clusters);
      for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
      if (!fleet) return ctx.exit(ExitCode.failed);
      if (!opts.quiet) {
        const n = fleet.clusters.length;
        ctx.stdout.write(`${opts.clusters}: ${n} cluster${n === 1 ? '' : 's'} in ${fleet.stages.length} stage${fleet.stages.length === 1 ? '' : 's'}, all valid\n`);
      }
      return ctx.exit(ExitCode.ok);
    });
}
