import { Command } from 'commander';
import path from 'node:path';
import { createLogger } from '../../reconciler/logger.js';
import { Sandbox } from '../../reconciler/sandbox.js';
import { startSynthServer } from '../../reconciler/synth-server.js';
import { SynthRunner } from '../../reconciler/synth-runner.js';
import { COMMANDS } from '../command-table.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { untilSignal } from './reconcile.js';

/** `clusterops synth-server`: synthesizes revisions sent by a reconciler over a unix socket (the repo-server container). */
export function synthServerCommand(ctx: CommandContext): Command {
  return new Command('synth-server')
    .description(COMMANDS['synth-server'].description)
    .requiredOption('--socket <path>', 'unix socket to listen on (shared with the reconciler container)')
    .option('--cache-dir <dir>', 'folder for dependencies, builds and unpacked revisions', '.clusterops/synth-server')
    .option('--no-sandbox', "run revisions' code without bubblewrap: for a container that holds no credential (the Deployment's synth container)")
    .action(async (flags: { socket: string; cacheDir: string; sandbox: boolean }) => {
      const logger = createLogger();
      const cacheDir = path.resolve(flags.cacheDir);
      const sandbox = flags.sandbox ? await Sandbox.probe() : Sandbox.insecure();
      const runner = new SynthRunner({ cacheDir: path.join(cacheDir, 'synth'), logger, sandbox });
      const server = await startSynthServer({ socket: path.resolve(flags.socket), workDir: path.join(cacheDir, 'revisions'), synthesizer: runner, logger });
      ctx.stderr.write(`clusterops synth-server: listening on ${server.socket} (sandbox: ${sandbox.kind})\n`);
      await untilSignal();
      await server.close();
      return ctx.exit(ExitCode.ok);
    });
}
