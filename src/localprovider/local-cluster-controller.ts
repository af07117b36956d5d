/**
 * The InfraCluster of the local provider: a LocalCluster gets a free loopback port as its
 * control-plane endpoint (`spec.controlPlaneEndpoint {host: 127.0.0.1, port}`), then reports
 * `status.initialization.provisioned` and Ready. A control plane of its Cluster that already runs
 * with the cluster's CA (the management cluster was rebuilt and the workload kept running) gives
 * its port instead, so it is adopted rather than refused. Nothing happens before Cluster API made
 * the Cluster its owner, nor while the Cluster is paused. Its finalizer holds the port until the
 * cluster's processes and data are gone.
 */
import { pickPortBelowEphemeral } from '../controlplane/index.js';
import { KubeError } from '../kube/client.js';
import { capiOwner, isPaused, keyOf, localControlPlaneOf, splitKey, type LocalCluster } from './_objects.js';
import { addFinalizer, patchObject, patchStatus, removeFinalizer, type ProviderContext } from './_context.js';
import { setConditions, type ConditionInput } from './conditions.js';
import { identityCertificate } from './identity-secrets.js';
import type { ReconcileResult } from './work-queue.js';

/** The host of every local endpoint. */
export const LOCAL_HOST = '127.0.0.1';

/** Reconciles one LocalCluster by `namespace/name`. */
export async function reconcileLocalCluster(ctx: ProviderContext, key: string): Promise<ReconcileResult | void> {
  const object = ctx.localClusters.get(key);
  if (!object) return;
  const { namespace } = splitKey(key);
  const owner = capiOwner(object, 'Cluster');
  const cluster = owner ? ctx.clusters.get(keyOf(namespace, owner.name)) : undefined;

  if (object.metadata.deletionTimestamp) {
    // Cluster API deletes the control plane first; hold the port until its processes and data are gone.
    const clusterName = owner?.name ?? object.metadata.name;
    if (await ctx.workloads.exists(namespace, clusterName)) return { requeueAfterMs: 2_000 };
    await removeFinalizer(ctx, 'LocalCluster', object);
    return;
  }
  if (!owner || !cluster) {
    await writeStatus(ctx, object, [{ type: 'Ready', status: 'False', reason: 'WaitingForCluster', message: 'waiting for Cluster API to set the owner Cluster' }], false);
    return;
  }
  if (isPaused(cluster, object)) {
    await writeStatus(ctx, object, [{ type: 'Paused', status: 'True', reason: 'Paused', message: 'the Cluster or this object is paused' }]);
    return;
  }
  // A finalizer just added changed the object: take the next step on the copy the watch brings.
  if (await addFinalizer(ctx, 'LocalCluster', object)) return;
  if (!object.spec?.controlPlaneEndpoint?.port) {
    // Guarded by the resourceVersion read: a reconcile of a stale copy (the watch has not brought the
    // endpoint yet) must not assign a second port after the control plane started on the first.
    const running = await runningEndpoint(ctx, namespace, owner.name);
    const port = await assignEndpoint(ctx, object, running ?? (await freePort(ctx)));
    if (port === undefined) return { requeueAfterMs: 200 };
    ctx.logger.info({ localCluster: key, port }, running ? 'adopted the endpoint of the running control plane' : 'assigned the control-plane endpoint');
    return; // the watch brings the object back with its endpoint
  }
  // Provisioned once the control plane on this endpoint is initialized, which its LocalControlPlane
  // reports after writing `<cluster>-kubeconfig` (it starts on this endpoint without waiting for the
  // Cluster to copy it; its status changes bring this object back). Cluster API connects to a
  // cluster as soon as its infrastructure is provisioned, and waits 30 s after a failed attempt;
  // reporting provisioned earlier would cost that wait on every new cluster.
  const endpoint = `${LOCAL_HOST}:${object.spec.controlPlaneEndpoint.port}`;
  const controlPlane = localControlPlaneOf(cluster);
  const initialized = controlPlane !== undefined && ctx.localControlPlanes.get(controlPlane)?.status?.initialization?.controlPlaneInitialized === true;
  if (object.status?.initialization?.provisioned !== true && !initialized) {
    await writeStatus(ctx, object, [{ type: 'Ready', status: 'False', reason: 'WaitingForControlPlane', message: `endpoint ${endpoint}: waiting for its control plane to start` }]);
    return;
  }
  await writeStatus(
    ctx,
    object,
    [
      { type: 'Ready', status: 'True', reason: 'Provisioned', message: `endpoint ${endpoint}` },
      { type: 'Paused', status: 'False', reason: 'NotPaused' },
    ],
    true,
  );
}

/**
 * The port of the control plane already running for the cluster, when its CA is the one of Secret
 * `<cluster>-ca`; undefined when none runs, the Secret is missing or the CA differs (a free port
 * then, and the LocalControlPlane reports the mismatch).
 */
async function runningEndpoint(ctx: ProviderContext, namespace: string, cluster: string): Promise<number | undefined> {
  if (!(await ctx.workloads.isRunning(namespace, cluster))) return undefined;
  const ca = await identityCertificate(ctx.api, namespace, cluster, 'ca');
  return ca === undefined ? undefined : ctx.workloads.runningEndpointOf(namespace, cluster, ca);
}

/**
 * Gives a LocalCluster the port, only if it is still the version read (optimistic concurrency);
 * returns the port, or undefined when the object changed meanwhile.
 */
async function assignEndpoint(ctx: ProviderContext, object: LocalCluster, port: number): Promise<number | undefined> {
  try {
    await patchObject(ctx, 'LocalCluster', object, {
      metadata: { resourceVersion: object.metadata.resourceVersion },
      spec: { controlPlaneEndpoint: { host: LOCAL_HOST, port } },
    });
  } catch (error) {
    if (error instanceof KubeError && error.status === 409) return undefined;
    throw error;
  }
  return port;
}

/**
 * A free loopback port that no other LocalCluster has, below the ephemeral range: the endpoint is
 * fixed now and bound when the control plane starts, and at 20 clusters a port of the ephemeral
 * range was taken meanwhile (another cluster's etcd, an outgoing connection), so that cluster's API
 * server could never start.
 */
async function freePort(ctx: ProviderContext): Promise<number> {
  return pickPortBelowEphemeral(new Set(ctx.localClusters.list().map((lc) => lc.spec?.controlPlaneEndpoint?.port)));
}

async function writeStatus(ctx: ProviderContext, object: LocalCluster, conditions: ConditionInput[], provisioned?: boolean): Promise<void> {
  const status: Record<string, unknown> = {
    conditions: setConditions(object.status?.conditions, conditions, object.metadata.generation, new Date()),
    observedGeneration: object.metadata.generation,
  };
  if (provisioned) status.initialization = { provisioned: true };
  await patchStatus(ctx, 'LocalCluster', object, status);
}

