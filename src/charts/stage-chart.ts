/**
 * Everything one stage puts into the management cluster, in one namespace named after the stage:
 * the Namespace, the ClusterClass (with its templates) of each provider the stage uses, and one
 * Cluster per declared workload cluster, and its WorkloadCluster mirror.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PROVIDERS, type WorkloadCluster } from '../model/workload-cluster.js';
import { STAGE_LABEL } from '../model/manifest-set.js';
import { addCluster } from './cluster.js';
import { CLUSTER_CLASSES } from './cluster-classes.js';
import { addWorkloadClusterMirror } from './workload-cluster-mirror.js';

/** The management chart of one stage; every object carries STAGE_LABEL, each Cluster also CLUSTER_LABEL. */
export class StageChart extends Chart {
  constructor(scope: Construct, stage: string, clusters: readonly WorkloadCluster[]) {
    super(scope, `management-${stage}`, { labels: { [STAGE_LABEL]: stage } });
    new ApiObject(this, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } });
    for (const provider of PROVIDERS) {
      if (clusters.some((cluster) => cluster.spec.provider === provider)) {
        CLUSTER_CLASSES[provider].render(new Construct(this, `class-${provider}`), stage);
      }
    }
    for (const cluster of clusters) {
      if (cluster.stage !== stage) throw new Error(`cluster ${cluster.name} belongs to stage ${cluster.stage}, not ${stage}`);
      addCluster(this, cluster);
      addWorkloadClusterMirror(this, cluster);
    }
  }
}
