import { App } from 'cdk8s';
import { ReconcilerDeploymentChart } from '../src/charts/reconciler-deployment.js';
import type { KubeObject } from '../src/model/manifest-set.js';
import type { StackConfig } from './config.js';

/**
 * The reconciler's ServiceAccount, RBAC, CRD, Service and Deployment as the project's own cdk8s
 * chart renders them (the same objects `clusterops deploy-manifests` prints), less the Namespace,
 * which the stack declares itself. Image `clusterops:<reconcilerVersion>`.
 */
export function reconcilerManifests(config: StackConfig): KubeObject[] {
  const app = new App();
  const chart = new ReconcilerDeploymentChart(app, 'clusterops-reconciler', {
    image: `clusterops:${config.reconcilerVersion!}`,
    repo: config.gitUrl!,
    branch: config.gitBranch,
  });
  return (chart.toJson() as KubeObject[]).filter((o) => o.kind !== 'Namespace');
}
