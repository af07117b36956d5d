/**
 * The InfraMachine of the local provider (worker machines): once Cluster API made a Machine its
 * owner, the cluster's infrastructure is provisioned, its control plane initialized and the
 * Machine's bootstrap data exists, a LocalMachine registers a Node named after the Machine in the
 * workload cluster with `spec.providerID` `local://<namespace>/<cluster>/<machine>` and keeps it
 * heartbeated; it reports providerID, `status.initialization.provisioned`, addresses and Ready, so
 * Cluster API's Machine controller finds the Node and sets nodeRef. Deleting it deletes the Node.
 * A machine without a Node yet first adopts an orphan Node of its pool — one whose Machine is gone
 * because the management cluster was rebuilt while the workload kept running — keeping that
 * Node's name and providerID, instead of registering a second Node.
 */
import type { KubeApi } from '../kube/client.js';
import {
  capiOwner,
  CLUSTER_NAME_LABEL,
  isPaused,
  keyOf,
  splitKey,
  type Cluster,
  type LocalMachine,
  type Machine,
} from './_objects.js';
import { addFinalizer, patchObject, patchStatus, removeFinalizer, type ProviderContext } from './_context.js';
import { setConditions, type ConditionInput } from './conditions.js';
import { claimNode, deleteNode, listNodes, orphanNodeOf, POOL_LABEL, registerNode, type NodeSpec } from './workload-nodes.js';
import type { ReconcileResult } from './work-queue.js';

/** The providerID of a machine's Node. */
export function providerIdOf(namespace: string, cluster: string, machine: string): string {
  return `local://${namespace}/${cluster}/${machine}`;
}

/** Reconciles one LocalMachine by `namespace/name`. */
export async function reconcileLocalMachine(ctx: ProviderContext, key: string): Promise<ReconcileResult | void> {
  const object = ctx.localMachines.get(key);
  if (!object) {
    ctx.heartbeats.remove(key);
    return;
  }
  const { namespace } = splitKey(key);
  const owner = capiOwner(object, 'Machine');
  const machine = owner ? ctx.machines.get(keyOf(namespace, owner.name)) : undefined;
  const clusterName = machine?.spec?.clusterName ?? object.metadata.labels?.[CLUSTER_NAME_LABEL];
  const cluster = clusterName ? ctx.clusters.get(keyOf(namespace, clusterName)) : undefined;
  const nodeName = ctx.heartbeats.get(key)?.name ?? object.status?.nodeName ?? owner?.name ?? object.metadata.name;

  if (object.metadata.deletionTimestamp) {
    ctx.heartbeats.remove(key);
    // A workload control plane already gone (the cluster is being deleted) took its Nodes with it.
    if (clusterName && (await ctx.workloads.isRunning(namespace, clusterName))) {
      await deleteNode(await ctx.workloadClient(namespace, clusterName), nodeName);
      ctx.logger.info({ localMachine: key, node: nodeName }, 'deleted the Node');
    }
    await removeFinalizer(ctx, 'LocalMachine', object);
    return;
  }
  if (!owner || !machine || !clusterName) return void (await waiting(ctx, object, 'WaitingForMachine', 'waiting for Cluster API to set the owner Machine'));
  if (!cluster) return void (await waiting(ctx, object, 'WaitingForCluster', `waiting for Cluster ${namespace}/${clusterName}`));
  if (isPaused(cluster, object)) {
    await writeStatus(ctx, object, [{ type: 'Paused', status: 'True', reason: 'Paused', message: 'the Cluster or this object is paused' }]);
    return;
  }
  await addFinalizer(ctx, 'LocalMachine', object);
  const gate = waitingFor(cluster, machine);
  if (gate) return void (await waiting(ctx, object, gate.reason, gate.message));
  if (!(await ctx.workloads.isRunning(namespace, clusterName))) {
    return void (await waiting(ctx, object, 'WaitingForControlPlane', `the control plane of ${namespace}/${clusterName} is not running here`));
  }

  const api = await ctx.workloadClient(namespace, clusterName);
  // The Node this process keeps alive is the truth; a copy of this object may not show it yet.
  let spec = ctx.heartbeats.get(key);
  if (!spec) {
    spec = nodeSpecOf(ctx, object, machine, clusterName);
    const adopted = object.status?.nodeName ? undefined : await adoptOrphan(ctx, api, key, machine, clusterName);
    if (adopted) spec = { ...spec, ...adopted };
    await registerNode(api, spec);
    ctx.heartbeats.add(key, api, spec);
    ctx.logger.info({ localMachine: key, node: spec.name, providerID: spec.providerID }, adopted ? 'adopted the Node' : 'registered the Node');
  }
  const { providerID } = spec;
  if (object.spec?.providerID !== providerID) await patchObject(ctx, 'LocalMachine', object, { spec: { providerID } });
  await writeStatus(
    ctx,
    object,
    [
      { type: 'Ready', status: 'True', reason: 'Provisioned', message: `Node ${spec.name} registered and heartbeated` },
      { type: 'Paused', status: 'False', reason: 'NotPaused' },
    ],
    { initialization: { provisioned: true }, nodeName: spec.name, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: spec.name }] },
  );
}

/**
 * The Node of a machine: the one its status names (registered or adopted before, with the
 * providerID written before it), else one named after the Machine; labelled with the Machine's pool.
 */
function nodeSpecOf(ctx: ProviderContext, object: LocalMachine, machine: Machine, cluster: string): NodeSpec {
  const { namespace, name } = machine.metadata;
  const pool = machine.metadata.labels?.[POOL_LABEL];
  return {
    name: object.status?.nodeName ?? name,
    providerID: (object.status?.nodeName && object.spec?.providerID) || providerIdOf(namespace, cluster, name),
    kubeletVersion: machine.spec?.version ?? ctx.binariesVersion,
    labels: pool === undefined ? undefined : { [POOL_LABEL]: pool },
  };
}

/** Claims left to lose to other LocalMachines before a reconcile gives up (and the queue retries). */
const CLAIM_ATTEMPTS = 5;

/**
 * Claims an orphan Node of the machine's pool (see orphanNodeOf) and returns its name and
 * providerID; undefined when there is none. Decided only on synced informers: a Machine not listed
 * yet must not look gone.
 */
async function adoptOrphan(ctx: ProviderContext, api: KubeApi, key: string, machine: Machine, cluster: string): Promise<{ name: string; providerID: string } | undefined> {
  await Promise.all([ctx.machines.hasSynced, ctx.localMachines.hasSynced]);
  const { namespace } = machine.metadata;
  const adopter = {
    localMachine: key,
    providerIdPrefix: providerIdOf(namespace, cluster, ''),
    pool: machine.metadata.labels?.[POOL_LABEL],
    machineExists: (name: string) => ctx.machines.get(keyOf(namespace, name)) !== undefined,
    localMachineExists: (other: string) => ctx.localMachines.get(other) !== undefined,
  };
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const orphan = orphanNodeOf(await listNodes(api), adopter);
    if (!orphan) return undefined;
    if (await claimNode(api, orphan, key)) return { name: orphan.metadata.name, providerID: orphan.spec!.providerID! };
    ctx.logger.info({ localMachine: key, node: orphan.metadata.name }, 'lost the claim of an orphan Node; looking again');
  }
  throw new Error(`lost the claim of an orphan Node of the pool ${CLAIM_ATTEMPTS} times; trying again later`);
}

/** What the contract says to wait for before a machine is made, in order; pure. */
export function waitingFor(cluster: Cluster, machine: Machine): { reason: string; message: string } | undefined {
  if (cluster.status?.initialization?.infrastructureProvisioned !== true) {
    return { reason: 'WaitingForClusterInfrastructure', message: "waiting for the Cluster's infrastructure to be provisioned" };
  }
  if (cluster.status?.initialization?.controlPlaneInitialized !== true) {
    return { reason: 'WaitingForControlPlaneInitialized', message: "waiting for the Cluster's control plane to be initialized" };
  }
  if (!machine.spec?.bootstrap?.dataSecretName) {
    return { reason: 'WaitingForBootstrapData', message: "waiting for the Machine's bootstrap data secret" };
  }
  return undefined;
}

async function waiting(ctx: ProviderContext, object: LocalMachine, reason: string, message: string): Promise<void> {
  await writeStatus(ctx, object, [{ type: 'Ready', status: 'False', reason, message }]);
}

async function writeStatus(ctx: ProviderContext, object: LocalMachine, conditions: ConditionInput[], fields: Record<string, unknown> = {}): Promise<void> {
  await patchStatus(ctx, 'LocalMachine', object, {
    conditions: setConditions(object.status?.conditions, conditions, object.metadata.generation, new Date()),
    observedGeneration: object.metadata.generation,
    ...fields,
  });
}

/** The LocalMachine a Machine refers to, as a queue key. */
export function localMachineOf(machine: Machine): string | undefined {
  const ref = machine.spec?.infrastructureRef;
  return ref?.kind === 'LocalMachine' ? keyOf(machine.metadata.namespace, ref.name) : undefined;
}
