/**
 * A child process that cannot outlive the Node process that started it. The child is started
 * through `setpriv --pdeathsig KILL`, so the kernel kills it the moment its owner dies, even when
 * the owner is SIGKILLed; a check of the parent pid right before `exec` closes the window where the
 * owner died before the death signal was armed. The child runs in its own session, so a Ctrl-C in
 * the owner's terminal reaches the owner only, which then stops its children in order.
 * The kernel ties the death signal to the thread that spawned the child: spawned from a worker
 * thread, a child also dies when that worker ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, openSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { ControlPlaneError } from './errors.js';

/** How a supervised process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to run and where its output goes. */
export interface SupervisedProcessOptions {
  /** Short name for messages, e.g. `etcd`. */
  name: string;
  /** Absolute path of the program. */
  command: string;
  args: string[];
  /** File that receives the program's stdout and stderr (appended). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** Opens the part of a log file written by one start of a program. */
export const START_MARKER = '=== clusterops starts';

/** Appends the START_MARKER line of a start of `command` to `logFile`. */
export function markStart(logFile: string, command: string): void {
  appendFileSync(logFile, `\n${START_MARKER} ${new Date().toISOString()} ${basename(command)}\n`, { mode: 0o600 });
}

/** Exit code of the wrapper when its owner was already gone before the program started. */
const OWNER_GONE_EXIT = 111;
/** Runs `"$@"` only while the process that spawned us is still `$1`, replacing the shell. */
const GUARD = 'if [ "$PPID" != "$1" ]; then exit ' + OWNER_GONE_EXIT + '; fi; shift; exec "$@"';

const live = new Set<SupervisedProcess>();
let exitHookInstalled = false;

/** A running program owned by this Node process; see the module comment for the guarantees. */
export class SupervisedProcess {
  /** Resolves once the program has exited. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** Starts the program; throws when it cannot be started at all. */
  static spawn(options: SupervisedProcessOptions): SupervisedProcess {
    const setpriv = findSetpriv();
    const log = openSync(options.logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(
        setpriv,
        ['--pdeathsig', 'KILL', '--', '/bin/sh', '-c', GUARD, 'sh', String(process.pid), options.command, ...options.args],
        { stdio: ['ignore', log, log], detached: true, env: options.env ?? process.env },
      );
    } finally {
      closeSync(log);
    }
    if (child.pid === undefined) {
      throw new ControlPlaneError(`cannot start ${options.name} (${options.command})`);
    }
    child.on('error', () => undefined); // reported through `exited`
    const supervised = new SupervisedProcess(options.name, child, child.pid);
    live.add(supervised);
    installExitHook();
    return supervised;
  }

  /** True until the program has exited. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /** The exit status, once the program has exited. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Asks the program to stop (SIGTERM), then kills it (SIGKILL) after `graceMs`; resolves when it is gone. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the program at once (SIGKILL) without waiting. */
  kill(): void {
    if (this.exit) return;
    this.child.kill('SIGKILL');
  }
}

/** Explains an exit status in words, for error messages. */
export function describeExit(exit: ProcessExit): string {
  if (exit.code === OWNER_GONE_EXIT) return 'did not start because its owner was gone';
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

let setprivPath: string | undefined;

function findSetpriv(): string {
  if (setprivPath) return setprivPath;
  if (process.platform !== 'linux') {
    throw new ControlPlaneError(`the local control plane runs on Linux only (this is ${process.platform})`);
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      setprivPath = candidate;
      return candidate;
    } catch {
      // try the next folder
    }
  }
  throw new ControlPlaneError('setpriv is not installed; install util-linux (e.g. apt-get install util-linux)');
}

/** On a normal exit of the owner, kill what is still running right away (the kernel would do it too). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const supervised of live) supervised.kill();
  });
}
