import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { FleetDirError } from '../spec/load.js';
import { ExitCode, UsageError } from './exit-codes.js';

/** What a command needs from the process, passed in so commands can be run in tests. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Records the exit code the command ends with. */
  exit(code: number): void;
}

type CommandFactory = (ctx: CommandContext) => Command;

/**
 * Every command, loaded on use: the CLI imports only the module of the command it runs, so that
 * `validate` (pre-commit hooks, CI) does not pay for the Kubernetes client, cdk8s or Pulumi.
 */
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  synth: async () => (await import('./commands/synth.js')).synthCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcileCommand,
  dev: async () => (await import('./commands/dev.js')).devCommand,
  'deploy-manifests': async () => (await import('./commands/deploy-manifests.js')).deployManifestsCommand,
  preview: async () => (await import('./commands/preview.js')).previewCommand,
  ci: async () => (await import('./commands/ci.js')).ciCommand,
  controlplane: async () => (await import('./commands/controlplane.js')).controlPlaneCommand,
  'synth-server': async () => (await import('./commands/synth-server.js')).synthServerCommand,
};

/** package.json of this checkout: three folders up from dist/src/cli, two from src/cli (tests run the sources). */
const pkg = JSON.parse(
  readFileSync(new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Runs the clusterops CLI with `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[], io: Pick<CommandContext, 'stdout' | 'stderr'> = process): Promise<number> {
  let code: number = ExitCode.ok;
  const ctx: CommandContext = { ...io, exit: (c) => { code = c; } };
  const program = new Command('clusterops')
    .description('Run a fleet of Kubernetes clusters from one git repository.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  try {
    const wanted = argv[2] !== undefined && Object.hasOwn(COMMANDS, argv[2]) ? [argv[2]] : Object.keys(COMMANDS);
    for (const name of wanted) program.addCommand((await COMMANDS[name]())(ctx).exitOverride());
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof UsageError || err instanceof FleetDirError) {
      io.stderr.write(`error: ${err.message}\n`);
      return ExitCode.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`error: ${message}\n`);
    if (process.env.CLUSTEROPS_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return ExitCode.failed;
  }
}

/** Why a write failed, by errno, for the one line printed instead of a stack trace. */
const WRITE_ERRORS: Record<string, string> = {
  EPIPE: 'the reader closed the pipe',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

/**
 * Runs the CLI as `bin/clusterops.js` does, for the whole process: sets the exit code, and turns a
 * failed write to stdout (a full disk, a closed pipe: `synth > /dev/full`, `synth | kubectl` that
 * died) into one line on stderr and exit 1, since the output is incomplete.
 */
export function runCli(argv: string[]): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    const why = (err.code && WRITE_ERRORS[err.code]) ?? err.message;
    try {
      process.stderr.write(`error: cannot write to stdout: ${why}${err.code ? ` (${err.code})` : ''}\n`);
    } finally {
      process.exit(ExitCode.failed);
    }
  });
  // With stderr gone there is nobody left to tell; the exit code says it.
  process.stderr.on('error', () => process.exit(ExitCode.failed));
  main(argv).then((code) => {
    process.exitCode = code;
  });
}
