import type { Command } from 'commander';
import type { CommandContext } from '../src/cli/main.js';

/** What a command printed and the exit code it chose. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs one clusterops command in-process as the CLI would, capturing its output and exit code. */
export async function runCommand(make: (ctx: CommandContext) => Command, args: string[]): Promise<CommandRun> {
  const run: CommandRun = { stdout: '', stderr: '', code: -1 };
  const ctx: CommandContext = {
    stdout: { write: (s: string) => ((run.stdout += s), true) } as unknown as CommandContext['stdout'],
    stderr: { write: (s: string) => ((run.stderr += s), true) } as unknown as CommandContext['stderr'],
    exit: (c) => {
      run.code = c;
    },
  };
  await make(ctx).exitOverride().parseAsync(args, { from: 'user' });
  return run;
}

/** Runs `clusterops ARGS` through the CLI's `main`, as the process would, with its error handling and exit codes. */
export async function runMain(args: string[]): Promise<CommandRun> {
  const { main } = await import('../src/cli/main.js');
  const run: CommandRun = { stdout: '', stderr: '', code: -1 };
  const io = {
    stdout: { write: (s: string) => ((run.stdout += s), true) } as unknown as CommandContext['stdout'],
    stderr: { write: (s: string) => ((run.stderr += s), true) } as unknown as CommandContext['stderr'],
  };
  run.code = await main(['node', 'clusterops', ...args], io);
  return run;
}
