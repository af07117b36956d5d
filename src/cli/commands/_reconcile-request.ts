import { RECONCILE_REQUEST_ANNOTATION } from '../../charts/workload-cluster-crd.js';
import type { KubeClient } from '../../kube/client.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import type { ListedCluster } from './_cluster-table.js';
import { findCluster, workloadClusterPath } from './_find-cluster.js';

/** What `clusterops reconcile cluster NAME` needs. */
export interface ReconcileRequest {
  cluster: string;
  stage?: string;
  timeoutMs: number;
}

type Live = ListedCluster & { status?: ListedCluster['status'] & { lastHandledReconcileAt?: string; lastError?: string } };

/**
 * Asks the reconciler to reconcile one cluster now: sets the annotation
 * `clusterops.io/reconcile-requested-at` to the current time and waits until the cluster's status
 * says the request was handled (`lastHandledReconcileAt`), as `flux reconcile` does. The
 * reconciler fetches the source first, then applies the cluster's two sets.
 */
export async function requestReconcile(ctx: CommandContext, client: KubeClient, request: ReconcileRequest): Promise<void> {
  const stage = (await findCluster(client, request.cluster, request.stage)).metadata.namespace;
  const path = workloadClusterPath(stage, request.cluster);
  const requestedAt = new Date().toISOString();
  await client.request({
    verb: 'patch',
    method: 'PATCH',
    path,
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { [RECONCILE_REQUEST_ANNOTATION]: requestedAt } } },
  });
  ctx.stderr.write(`► asked the reconciler to fetch the source and reconcile ${stage}/${request.cluster}\n`);
  const deadline = Date.now() + request.timeoutMs;
  for (;;) {
    const live = (await client.request<Live>({ verb: 'get', method: 'GET', path })).body;
    if (live.status?.lastHandledReconcileAt === requestedAt) {
      const ready = live.status.conditions?.find((c) => c.type === 'Ready');
      const revision = live.status.revision?.slice(0, 12) ?? 'none';
      ctx.stdout.write(`✔ ${stage}/${request.cluster} reconciled: revision ${revision}, phase ${live.status.phase ?? 'Pending'}, Ready=${ready?.status ?? 'Unknown'}${ready && ready.status !== 'True' && ready.message ? ` (${ready.message.split('\n')[0]})` : ''}\n`);
      return ctx.exit(ExitCode.ok);
    }
    if (Date.now() > deadline) {
      ctx.stderr.write(`error: no reconciler acknowledged the request within ${Math.round(request.timeoutMs / 1000)} s (is one running against this management cluster?)\n`);
      return ctx.exit(ExitCode.failed);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
