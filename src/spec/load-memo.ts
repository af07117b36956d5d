import { createHash } from 'node:crypto';
import type { WorkloadCluster } from '../model/workload-cluster.js';

/**
 * The clusters one loadFleet validated, by what they were read from: the stage folder's name, the
 * bytes of its stage file (or none) and the bytes of the cluster file. Validation is a function of
 * exactly those, so a second load of mostly the same files (the base revision in `clusterops ci`,
 * after the head) parses and validates only the files that differ. Only clusters without a problem
 * are kept; a hit gets the file name of the load that asks.
 */
export class LoadMemo {
  private readonly clusters = new Map<string, WorkloadCluster>();

  /** The key of the stage part: its folder name and stage file bytes. */
  stageKey(name: string, stageFile: Buffer | undefined): string {
    const h = createHash('sha256').update(name).update('\0');
    if (stageFile) h.update('stage file\0').update(stageFile);
    else h.update('no stage file');
    return h.digest('base64');
  }

  /** The cluster validated from `bytes` under the stage `stageKey`, named as in `file`; undefined when not seen. */
  get(stageKey: string, bytes: Buffer, file: string): WorkloadCluster | undefined {
    const known = this.clusters.get(clusterKey(stageKey, bytes));
    return known && { ...known, source: { ...known.source, file } };
  }

  set(stageKey: string, bytes: Buffer, cluster: WorkloadCluster): void {
    this.clusters.set(clusterKey(stageKey, bytes), cluster);
  }
}

const clusterKey = (stageKey: string, bytes: Buffer) => createHash('sha256').update(stageKey).update('\0').update(bytes).digest('base64');
