// What every controller of the provider shares: the management client, the informers' caches, the
// workload control planes and Node heartbeats, the logger, and the status patch helper.
import type { Logger } from 'pino';
import { KubeError, type KubeClient } from '../kube/client.js';
import type { Informer } from '../kube/watch.js';
import type { LocalKind } from '../model/local-provider-crds.js';
import { FINALIZER, localPath, type Cluster, type LocalCluster, type LocalControlPlane, type LocalMachine, type Machine, type Obj } from './_objects.js';
import type { NodeHeartbeats } from './workload-nodes.js';
import type { WorkloadControlPlanes } from './workload-control-planes.js';

/** Shared by the three controllers. */
export interface ProviderContext {
  api: KubeClient;
  clusters: Informer<Cluster>;
  machines: Informer<Machine>;
  localClusters: Informer<LocalCluster>;
  localControlPlanes: Informer<LocalControlPlane>;
  localMachines: Informer<LocalMachine>;
  workloads: WorkloadControlPlanes;
  heartbeats: NodeHeartbeats;
  /** A client for a workload cluster (its admin kubeconfig in the state dir), cached. */
  workloadClient(namespace: string, cluster: string): Promise<KubeClient>;
  /** The Kubernetes version of the local binaries, e.g. v1.36.3. */
  binariesVersion: string;
  binDir: string;
  logger: Logger;
}

/** Writes `status` (a merge patch of the status subresource) unless it equals what the object has. */
export async function patchStatus(ctx: ProviderContext, kind: LocalKind, object: Obj, status: Record<string, unknown>): Promise<void> {
  const current = object.status ?? {};
  const changed = Object.entries(status).some(([field, value]) => JSON.stringify(current[field]) !== JSON.stringify(value));
  if (!changed) return;
  await ctx.api.request({
    verb: 'patch',
    method: 'PATCH',
    path: `${localPath(kind, object.metadata.namespace, object.metadata.name)}/status`,
    body: { status },
    contentType: 'application/merge-patch+json',
  });
}

/** Merge-patches the object itself (spec or metadata). */
export async function patchObject(ctx: ProviderContext, kind: LocalKind, object: Obj, patch: Record<string, unknown>): Promise<void> {
  await ctx.api.request({
    verb: 'patch',
    method: 'PATCH',
    path: localPath(kind, object.metadata.namespace, object.metadata.name),
    body: patch,
    contentType: 'application/merge-patch+json',
  });
}

/** Adds our finalizer (guarded by resourceVersion, so a concurrent change is not lost); true when it patched. */
export async function addFinalizer(ctx: ProviderContext, kind: LocalKind, object: Obj): Promise<boolean> {
  if (object.metadata.finalizers?.includes(FINALIZER)) return false;
  await patchObject(ctx, kind, object, {
    metadata: { finalizers: [...(object.metadata.finalizers ?? []), FINALIZER], resourceVersion: object.metadata.resourceVersion },
  });
  return true;
}

/** Removes our finalizer; an object already gone is fine. */
export async function removeFinalizer(ctx: ProviderContext, kind: LocalKind, object: Obj): Promise<void> {
  if (!object.metadata.finalizers?.includes(FINALIZER)) return;
  try {
    await patchObject(ctx, kind, object, {
      metadata: { finalizers: object.metadata.finalizers.filter((f) => f !== FINALIZER), resourceVersion: object.metadata.resourceVersion },
    });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
}
