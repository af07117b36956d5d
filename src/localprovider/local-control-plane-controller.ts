/**
 * The ControlPlane of the local provider, machineless (like Kamaji or k0smotron): for each
 * LocalControlPlane it looks up or generates the cluster's identity Secrets, runs a real etcd +
 * kube-apiserver + kube-controller-manager seeded with them on the Cluster's endpoint port (adopting
 * one that already runs with the same CA), writes `<cluster>-kubeconfig`, and reports
 * initialization, version, replicas and the v1beta2 conditions. Deleting it stops the processes
 * and deletes their data. A declared version the local binaries are not is refused, never run as
 * another version.
 */
import { readFile } from 'node:fs/promises';
import { KubeError } from '../kube/client.js';
import { KUBECONFIG_SECRET_KEY, kubeconfigSecretName } from '../kube/workload-access.js';
import { localApiVersion } from '../model/local-provider-crds.js';
import {
  capiOwner,
  CLUSTER_NAME_LABEL,
  corePath,
  isPaused,
  keyOf,
  localClusterOf,
  splitKey,
  type LocalControlPlane,
  type OwnerReference,
} from './_objects.js';
import { addFinalizer, patchStatus, removeFinalizer, type ProviderContext } from './_context.js';
import { setConditions, type ConditionInput } from './conditions.js';
import { controlPlaneStatusFor, versionProblem, type ControlPlaneFacts } from './control-plane-conditions.js';
import { CLUSTER_SECRET_TYPE, lookupOrGenerateIdentity } from './identity-secrets.js';
import { IdentityMismatchError } from './workload-control-planes.js';
import type { ReconcileResult } from './work-queue.js';

/** Reconciles one LocalControlPlane by `namespace/name`. */
export async function reconcileLocalControlPlane(ctx: ProviderContext, key: string): Promise<ReconcileResult | void> {
  const object = ctx.localControlPlanes.get(key);
  if (!object) return;
  const { namespace } = splitKey(key);
  const owner = capiOwner(object, 'Cluster');
  const cluster = owner ? ctx.clusters.get(keyOf(namespace, owner.name)) : undefined;
  const clusterName = owner?.name ?? object.metadata.labels?.[CLUSTER_NAME_LABEL];
  const desiredReplicas = object.spec?.replicas ?? 1;
  const base = { desiredReplicas, everInitialized: object.status?.initialization?.controlPlaneInitialized === true };

  if (object.metadata.deletionTimestamp) {
    if (clusterName && (await ctx.workloads.exists(namespace, clusterName))) {
      await writeStatus(ctx, object, clusterName, { ...base, phase: 'Deleting' }).catch(() => undefined);
      await ctx.workloads.remove(namespace, clusterName);
      ctx.logger.info({ localControlPlane: key }, 'stopped the workload control plane and deleted its data');
    }
    await removeFinalizer(ctx, 'LocalControlPlane', object);
    return;
  }
  if (!owner || !cluster || !clusterName) return void (await writeStatus(ctx, object, clusterName, { ...base, phase: 'WaitingForCluster' }));
  if (isPaused(cluster, object)) {
    const conditions = setConditions(object.status?.conditions, [{ type: 'Paused', status: 'True', reason: 'Paused', message: 'the Cluster or this object is paused' }], object.metadata.generation, new Date());
    await patchStatus(ctx, 'LocalControlPlane', object, { conditions });
    return;
  }
  await addFinalizer(ctx, 'LocalControlPlane', object);
  // The endpoint, from the Cluster once Cluster API copied it, else from the LocalCluster, which
  // reports provisioned only once this control plane runs (local-cluster-controller.ts).
  const infra = localClusterOf(cluster);
  const port = cluster.spec?.controlPlaneEndpoint?.port || (infra ? ctx.localClusters.get(infra)?.spec?.controlPlaneEndpoint?.port : undefined);
  if (!port) return void (await writeStatus(ctx, object, clusterName, { ...base, phase: 'WaitingForEndpoint' }));

  const refused = versionProblem(object.spec?.version ?? '', ctx.binariesVersion, ctx.binDir);
  const running = await ctx.workloads.isRunning(namespace, clusterName);
  if (refused && !running) return void (await writeStatus(ctx, object, clusterName, { ...base, phase: 'VersionUnavailable', detail: refused }));

  const identity = await lookupOrGenerateIdentity(ctx.api, namespace, clusterName, controllerRef(object));
  if (identity.generated.length > 0) ctx.logger.info({ localControlPlane: key, generated: identity.generated }, 'generated identity Secrets');
  if (!running && base.everInitialized) await writeStatus(ctx, object, clusterName, { ...base, phase: 'Restarting' });
  let outcome;
  try {
    outcome = await ctx.workloads.ensure({ namespace, cluster: clusterName, port, seed: identity.seed });
  } catch (error) {
    if (error instanceof IdentityMismatchError) {
      await writeStatus(ctx, object, clusterName, { ...base, phase: 'IdentityMismatch', detail: error.message });
      return { requeueAfterMs: 30_000 };
    }
    throw error;
  }
  if (outcome.action !== 'running') {
    ctx.logger.info({ localControlPlane: key, action: outcome.action, server: outcome.server, pids: outcome.pids, startedInMs: outcome.startedInMs }, `workload control plane ${outcome.action}`);
  }
  if (!outcome.ready) {
    await writeStatus(ctx, object, clusterName, { ...base, phase: 'Starting' });
    return { requeueAfterMs: 1_000 };
  }
  await ensureKubeconfigSecret(ctx, object, clusterName, outcome.kubeconfig);
  await writeStatus(ctx, object, clusterName, { ...base, phase: 'Running', runningVersion: ctx.binariesVersion }, refused);
}

/** The owner reference Cluster API's kubeadm control plane puts on what it generates. */
function controllerRef(object: LocalControlPlane): OwnerReference {
  return {
    apiVersion: localApiVersion('LocalControlPlane'),
    kind: 'LocalControlPlane',
    name: object.metadata.name,
    uid: object.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Writes (or brings back) Secret `<cluster>-kubeconfig` from the control plane's admin kubeconfig. */
async function ensureKubeconfigSecret(ctx: ProviderContext, object: LocalControlPlane, cluster: string, kubeconfigFile: string): Promise<void> {
  const namespace = object.metadata.namespace;
  const name = kubeconfigSecretName(cluster);
  const value = Buffer.from(await readFile(kubeconfigFile, 'utf8')).toString('base64');
  let existing: { data?: Record<string, string> } | undefined;
  try {
    existing = (await ctx.api.request<{ data?: Record<string, string> }>({ verb: 'get', method: 'GET', path: corePath('secrets', namespace, name) })).body;
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
  if (existing?.data?.[KUBECONFIG_SECRET_KEY] === value) return;
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { [CLUSTER_NAME_LABEL]: cluster }, ownerReferences: [controllerRef(object)] },
    type: CLUSTER_SECRET_TYPE,
    data: { [KUBECONFIG_SECRET_KEY]: value },
  };
  if (existing) {
    await ctx.api.request({ verb: 'patch', method: 'PATCH', path: corePath('secrets', namespace, name), body: { data: secret.data }, contentType: 'application/merge-patch+json' });
  } else {
    await ctx.api.request({ verb: 'create', method: 'POST', path: corePath('secrets', namespace), body: secret });
  }
  ctx.logger.info({ localControlPlane: keyOf(namespace, object.metadata.name), secret: name }, existing ? 'updated the kubeconfig Secret' : 'wrote the kubeconfig Secret');
}

async function writeStatus(ctx: ProviderContext, object: LocalControlPlane, cluster: string | undefined, facts: ControlPlaneFacts, refusedVersion?: string): Promise<void> {
  const computed = controlPlaneStatusFor(facts);
  const updates: ConditionInput[] = computed.conditions.map((condition) =>
    condition.type === 'RollingOut' && refusedVersion ? { type: 'RollingOut', status: 'False', reason: 'VersionUnavailable', message: refusedVersion } : condition,
  );
  const status: Record<string, unknown> = {
    conditions: setConditions(object.status?.conditions, updates, object.metadata.generation, new Date()),
    observedGeneration: object.metadata.generation,
    replicas: computed.replicas,
    readyReplicas: computed.readyReplicas,
    availableReplicas: computed.readyReplicas,
    upToDateReplicas: facts.runningVersion && !refusedVersion ? computed.readyReplicas : 0,
    ...(cluster ? { selector: `${CLUSTER_NAME_LABEL}=${cluster}` } : {}),
  };
  if (computed.initialized) status.initialization = { controlPlaneInitialized: true };
  if (facts.runningVersion) {
    status.version = facts.runningVersion;
    status.versions = [{ version: facts.runningVersion, replicas: computed.replicas }];
  }
  await patchStatus(ctx, 'LocalControlPlane', object, status);
}

