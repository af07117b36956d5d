/**
 * The InfraMachine of the local provider (worker machines): once Cluster API made a Machine its
 * owner, the cluster's infrastructure is provisioned, its control plane initialized and the
 * Machine's bootstrap data exists, a LocalMachine registers a Node named after the Machine in the
 * workload cluster with `spec.providerID` `local://<namespace>/<cluster>/<machine>` and keeps it
 * heartbeated; it reports providerID, `status.initialization.provisioned`, addresses and Ready, so
 * Cluster API's Machine controller finds the Node and sets nodeRef. Deleting it deletes the Node.
 */
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
import { deleteNode, registerNode } from './workload-nodes.js';
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
  const nodeName = object.status?.nodeName ?? owner?.name ?? object.metadata.name;

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

  const providerID = providerIdOf(namespace, clusterName, owner.name);
  const api = await ctx.workloadClient(namespace, clusterName);
  const spec = { name: owner.name, providerID, kubeletVersion: machine.spec?.version ?? ctx.binariesVersion };
  if (!ctx.heartbeats.has(key)) {
    await registerNode(api, spec);
    ctx.heartbeats.add(key, api, spec);
    ctx.logger.info({ localMachine: key, node: spec.name, providerID }, 'registered the Node');
  }
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
