import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { FleetDirError } from '../spec/fleet-files.js';
import { COMMANDS, type CommandName } from './command-table.js';
import { ExitCode, NotFoundError, UsageError } from './exit-codes.js';

/** What a command needs from the process, passed in so commands can be run in tests. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Records the exit code the command ends with. */
  exit(code: number): void;
}

/** Builds a command's full definition (options, action) for a context. */
export type CommandFactory = (ctx: CommandContext) => Command;

/**
 * Every command's module, imported on use: `--help` and `--version` load none of them, and a
 * command loads only its own, so `validate` (pre-commit hooks, CI) does not pay for the Kubernetes
 * client, cdk8s or Pulumi.
 */
const LOADERS: Record<CommandName, () => Promise<CommandFactory>> = {
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
  get: async () => (await import('./commands/get.js')).getCommand,
  describe: async () => (await import('./commands/describe.js')).describeCommand,
  events: async () => (await import('./commands/events.js')).eventsCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  suspend: async () => (await import('./commands/suspend.js')).suspendCommand,
  resume: async () => (await import('./commands/suspend.js')).resumeCommand,
  kubeconfig: async () => (await import('./commands/kubeconfig.js')).kubeconfigCommand,
  'synth-server': async () => (await import('./commands/synth-server.js')).synthServerCommand,
  'local-provider': async () => (await import('./commands/local-provider.js')).localProviderCommand,
  rebuild: async () => (await import('./commands/rebuild.js')).rebuildCommand,
  drill: async () => (await import('./commands/drill.js')).drillCommand,
};

/** Loads the full definition of a command, as `clusterops <name>` runs it. */
export async function loadCommand(name: CommandName, ctx: CommandContext): Promise<Command> {
  return (await LOADERS[name]())(ctx).exitOverride();
}

/** package.json of this checkout: three folders up from dist/src/cli, two from src/cli (tests run the sources). */
const pkg = JSON.parse(
  readFileSync(new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/**
 * A stand-in for a command in the program: its name and summary line from the table, for the
 * program's help. It takes every argument as-is; its action loads the command's module and runs the
 * real command with them, under the program, so usage lines and help read as before.
 */
function commandStub(program: Command, name: CommandName, ctx: CommandContext): Command {
  return new Command(name)
    .description(COMMANDS[name].description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_opts: unknown, stub: Command) => {
      const real = await loadCommand(name, ctx);
      real.parent = program;
      await real.parseAsync(stub.args, { from: 'user' });
    });
}

/** How the program's help lists a command: `<name> [options]`, or `<name>` for one without options. */
function listedTerm(name: CommandName): string {
  const entry: { options: boolean; args?: string } = COMMANDS[name];
  const term = entry.options ? `${name} [options]` : name;
  return entry.args ? `${term} ${entry.args}` : term;
}

/** The command an argv runs, or asks help for (`clusterops help <name>`): the one module to load up front. */
function namedCommand(argv: string[]): CommandName | undefined {
  const name = argv[2] === 'help' ? argv[3] : argv[2];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? (name as CommandName) : undefined;
}

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
  const help = new Help();
  // A stub has no options of its own: the program's help lists it as its command would be listed.
  program.configureHelp({ subcommandTerm: (cmd) => (Object.hasOwn(COMMANDS, cmd.name()) ? listedTerm(cmd.name() as CommandName) : help.subcommandTerm(cmd)) });
  try {
    const named = namedCommand(argv);
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      program.addCommand(name === named ? await loadCommand(name, ctx) : commandStub(program, name, ctx).exitOverride());
    }
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
    if (err instanceof NotFoundError) {
      io.stderr.write(`error: ${err.message}\n`);
      return ExitCode.notFound;
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
