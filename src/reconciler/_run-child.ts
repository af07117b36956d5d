import { spawn } from 'node:child_process';

/** How a child process ended, with the tail of what it wrote. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
  stdout: string;
}

/** What a child keeps of each stream: its last 64 KiB (messages are cut further before use). */
const KEEP_BYTES = 64 * 1024;

/**
 * Runs a program in its own process group, killing the whole group at the deadline. `stdoutFd`
 * sends stdout to an open file instead of a pipe; `keepBytes` is how much of each stream is kept (64 KiB).
 */
export function runChild(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; stdoutFd?: number; keepBytes?: number },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    const keepBytes = options.keepBytes ?? KEEP_BYTES;
    const keep = (acc: string, chunk: Buffer) => (acc + chunk.toString('utf8')).slice(-keepBytes);
    child.stderr?.on('data', (c: Buffer) => (stderr = keep(stderr, c)));
    child.stdout?.on('data', (c: Buffer) => (stdout = keep(stdout, c)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stderr, stdout });
    });
  });
}
