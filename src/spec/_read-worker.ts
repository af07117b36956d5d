// The worker thread of readFleetDocuments: reads and parses one clusters folder, posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { collectFleetDocuments } from './fleet-documents.js';
import { FleetDirError } from './fleet-files.js';

const { root } = workerData as { root: string };
try {
  parentPort!.postMessage({ result: collectFleetDocuments(root) });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error), dirError: error instanceof FleetDirError });
}
