import { Worker } from 'node:worker_threads';
import { FleetDirError } from './fleet-files.js';
import { loadStages, type StagesResult } from './load.js';

/** How the worker thread of loadStagesOffLoop starts. */
export interface ReadOffLoopOptions {
  /**
   * Node options of the worker (tests pass a TypeScript loader to run it from sources).
   * @default process.execArgv
   */
  execArgv?: string[];
  /**
   * Heap of the worker in MiB; past it the read fails instead of growing the caller.
   * @default 256
   */
  maxHeapMb?: number;
}

/**
 * The reconciler's entry to the loader: loadStages (the file rules and parsing bounds of loadFleet)
 * in a worker thread, so that parsing a large or hostile stage.yaml never blocks the caller's event
 * loop (its HTTP server, /healthz, leader lease). Rejects with FleetDirError when `root` is not a
 * folder, and with an Error when the worker fails. Run from TypeScript sources without a loader in
 * `execArgv` (in-process tests), the worker could not load its script, so it reads in-process.
 */
export function loadStagesOffLoop(root: string, opts: ReadOffLoopOptions = {}): Promise<StagesResult> {
  const fromSources = import.meta.url.endsWith('.ts');
  if (fromSources && !opts.execArgv) return loadStages(root);
  const script = new URL(fromSources ? './_read-worker.ts' : './_read-worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    const worker = new Worker(script, {
      workerData: { root },
      execArgv: opts.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 256 },
    });
    worker.once('message', (m: { result?: StagesResult; error?: string; dirError?: boolean }) =>
      settle(() => (m.result ? resolve(m.result) : reject(m.dirError ? new FleetDirError(m.error) : new Error(`reading stage files failed: ${m.error}`)))),
    );
    worker.once('error', (error) => settle(() => reject(new Error(`reading stage files failed: ${error.message}`))));
    worker.once('exit', (code) => settle(() => reject(new Error(`reading stage files failed: the worker exited with code ${code}`))));
  });
}
