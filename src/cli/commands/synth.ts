import { Command, Option } from 'commander';
import { manifestSetsDocument } from '../../model/manifest-sets-document.js';
import { loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { COMMANDS } from '../command-table.js';

/** `clusterops synth`: writes the Cluster API and add-on manifests, byte-identical across runs. */
export function synthCommand(ctx: CommandContext): Command {
  return new Command('synth')
    .description(COMMANDS.synth.description)
    .option('--clusters <dir>', 'folder with one subfolder per stage', 'clusters')
    .option('--out-dir <dir|->', 'folder to write, or - for stdout (the default)')
    .addOption(new Option('-o, --output <dir|->', 'deprecated: the old name of --out-dir (in the other commands -o is the output format)').hideHelp())
    .addOption(
      new Option('--format <format>', 'yaml, or sets-json: one clusterops.io/manifest-sets/v1 JSON document (the reconciler reads it)')
        .choices(['yaml', 'sets-json'])
        .default('yaml'),
    )
    .action(async (flags: { clusters: string; outDir?: string; output?: string; format: 'yaml' | 'sets-json' }) => {
      if (flags.output !== undefined) {
        if (flags.outDir !== undefined) throw new UsageError('give --out-dir only (-o/--output is its deprecated old name)');
        ctx.stderr.write('warning: synth -o/--output is deprecated and will go in a later release; use --out-dir\n');
      }
      const opts = { ...flags, output: flags.outDir ?? flags.output ?? '-' };
      if (opts.format === 'sets-json' && opts.output !== '-') throw new UsageError('--format sets-json writes to stdout only');
      // The reconciler's interface keeps going past a bad file: what does not validate is listed as blocked, not dropped.
      const { fleet, problems, blocked } = await loadFleet(opts.clusters, { partial: opts.format === 'sets-json' });
      for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
      if (!fleet) return ctx.exit(ExitCode.failed);
      // Loaded on use: cdk8s and the generated Cluster API types are the heaviest imports of the CLI.
      const { synthFleet } = await import('../../synth/synth.js');
      const { toYaml, writeManifestSets } = await import('../../synth/serialize.js');
      const sets = synthFleet(fleet);
      if (opts.format === 'sets-json') {
        ctx.stdout.write(`${JSON.stringify(manifestSetsDocument(sets, blocked))}\n`);
      } else if (opts.output === '-') {
        for (const set of sets) ctx.stdout.write(`# clusterops manifest set: ${set.id}\n${toYaml(set.objects)}`);
      } else {
        const files = await writeManifestSets(sets, opts.output);
        if (ctx.stderr.isTTY) ctx.stderr.write(`wrote ${files.length} files under ${opts.output}/\n`);
      }
      return ctx.exit(ExitCode.ok);
    });
}
