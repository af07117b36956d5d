import { Worker } from 'node:worker_threads';
import type { FleetDocuments } from './fleet-documents.js';
import { FleetDirError } from './fleet-files.js';

export type { FleetDocument, FleetDocuments } from './fleet-documents.js';

/** How the worker thread of readFleetDocuments starts. */
export interface ReadOffLoopOptions {
  /**
   * Node options of the worker (tests pass a TypeScript loader to run from sources).
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
 * The reconciler's entry to the loader: reads every declaration of `root` (file rules and parsing
 * bounds of loadFleet, collectFleetDocuments) in a worker thread, so that parsing a large or
 * hostile file never blocks the caller's event loop (its HTTP server, /healthz, leader lease).
 * Rejects with FleetDirError when `root` is not a folder, and with an Error when the worker fails.
 */
export function readFleetDocuments(root: string, opts: ReadOffLoopOptions = {}): Promise<FleetDocuments> {
  const fromSources = import.meta.url.endsWith('.ts');
  const script = new URL(fromSources ? './_read-worker.ts' : './_read-worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) { settled = true; fn(); }
    };
    const worker = new Worker(script, {
      workerData: { root },
      execArgv: opts.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 256 },
    });
    worker.once('message', (m: { result?: FleetDocuments; error?: string; dirError?: boolean }) =>
      settle(() => (m.result ? resolve(m.result) : reject(m.dirError ? new FleetDirError(m.error) : new Error(`reading declarations failed: ${m.error}`)))),
    );
    worker.once('error', (error) => settle(() => reject(new Error(`reading declarations failed: ${error.message}`))));
    worker.once('exit', (code) => settle(() => reject(new Error(`reading declarations failed: the worker exited with code ${code}`))));
  });
}
