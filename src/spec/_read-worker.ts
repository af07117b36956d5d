// The worker thread of loadStagesOffLoop: reads one clusters folder's stages, posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { FleetDirError } from './fleet-files.js';
import { loadStages } from './load.js';

const { root } = workerData as { root: string };
try {
  parentPort!.postMessage({ result: await loadStages(root) });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error), dirError: error instanceof FleetDirError });
}
