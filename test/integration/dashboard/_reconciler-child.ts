// A real `clusterops reconcile` process for the dashboard tests, run from the TypeScript sources:
// its log is kept, and the URL it serves is read from its start line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../reconciler/_project-repo.js';
import { waitFor } from '../_wait-for.js';

const REGISTER = path.join(PROJECT_ROOT, 'test', 'integration', '_ts-register.mjs');
const CHILD = path.join(PROJECT_ROOT, 'test', 'integration', 'reconciler', '_reconcile-child.ts');

/** A running reconciler. */
export interface ReconcilerChild {
  child: ChildProcess;
  /** Its stdout and stderr so far. */
  log(): string;
  /** The base URL it serves, e.g. http://127.0.0.1:41234. */
  url: string;
  /** SIGTERM, and the exit. */
  stop(): Promise<number | null>;
}

/** Starts `clusterops reconcile ARGS` and waits for its HTTP server. */
export async function startReconcilerChild(args: string[]): Promise<ReconcilerChild> {
  const child = spawn(process.execPath, ['--import', REGISTER, CHILD, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  const url = await waitFor('the reconciler to serve HTTP', async () => (exited ? 'exited' : /serving (http:\/\/[^\s/]+)\/metrics/.exec(log)?.[1]), 300_000);
  if (url === 'exited') throw new Error(`the reconciler exited:\n${log.slice(-3000)}`);
  return {
    child,
    log: () => log,
    url,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      return exit;
    },
  };
}
