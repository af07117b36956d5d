import type { Stage } from './stage.js';
import type { WorkloadCluster } from './workload-cluster.js';

/** Everything declared under `clusters/`: stages in name order, clusters sorted by stage then name. */
export interface Fleet {
  root: string;
  stages: Stage[];
  clusters: WorkloadCluster[];
}
