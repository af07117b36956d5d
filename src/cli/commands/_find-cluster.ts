import { WORKLOAD_CLUSTER_API_VERSION, WORKLOAD_CLUSTER_PLURAL } from '../../charts/workload-cluster-crd.js';
import type { KubeClient } from '../../kube/client.js';
import { NotFoundError, UsageError } from '../exit-codes.js';
import type { ListedCluster } from './_cluster-table.js';


/** The path of one WorkloadCluster. */
export function workloadClusterPath(stage: string, name: string): string {
  return `/apis/${WORKLOAD_CLUSTER_API_VERSION}/namespaces/${encodeURIComponent(stage)}/${WORKLOAD_CLUSTER_PLURAL}/${encodeURIComponent(name)}`;
}

/**
 * The WorkloadCluster `name`, in `stage` or, without one, in the one stage that has it: a usage
 * error when several stages do (say which with --stage), NotFoundError (exit 3) when none does.
 */
export async function findCluster(client: KubeClient, name: string, stage?: string): Promise<ListedCluster> {
  const path = `/apis/${WORKLOAD_CLUSTER_API_VERSION}${stage ? `/namespaces/${encodeURIComponent(stage)}` : ''}/${WORKLOAD_CLUSTER_PLURAL}`;
  const { body } = await client.request<{ items: ListedCluster[] }>({ verb: 'list', method: 'GET', path, query: { fieldSelector: `metadata.name=${name}` } });
  if (body.items.length === 0) throw new NotFoundError(`no workload cluster named ${name}${stage ? ` in stage ${stage}` : ' in any stage'}`);
  if (body.items.length > 1) {
    throw new UsageError(`${name} exists in the stages ${body.items.map((i) => i.metadata.namespace).sort().join(', ')}; say which with --stage`);
  }
  return body.items[0];
}

/** Names the verbs accept for a WorkloadCluster, as kubectl accepts plural, singular and short names. */
export const CLUSTER_RESOURCES: ReadonlySet<string> = new Set(['cluster', 'clusters', 'workloadcluster', 'workloadclusters', 'wc']);

/** The verbs act on clusters only; anything else is a usage error. */
export function requireClusterResource(resource: string): void {
  if (!CLUSTER_RESOURCES.has(resource)) throw new UsageError(`unknown resource "${resource}": this command acts on clusters (cluster NAME)`);
}
