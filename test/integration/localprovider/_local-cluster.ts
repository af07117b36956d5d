/**
 * Test helpers for the local provider without Cluster API's controllers: they create the Cluster API
 * side of a cluster (Cluster, Machines, owner references) and copy status between objects the way
 * Cluster API's Cluster and Machine controllers would, so the provider's controllers can be driven
 * against a real management API server. Also the provider as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeError, type KubeClient } from '../../../src/kube/client.js';
import { localApiVersion, type LocalKind } from '../../../src/model/local-provider-crds.js';
import { capiPath, localPath } from '../../../src/localprovider/_objects.js';

const here = dirname(fileURLToPath(import.meta.url));
const CAPI = 'cluster.x-k8s.io/v1beta2';

type Json = Record<string, any>;

import { waitFor } from '../_wait-for.js';

export { waitFor };

/** GET, or undefined on 404. */
export async function get(client: KubeClient, path: string): Promise<Json | undefined> {
  try {
    return (await client.request<Json>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return undefined;
    throw error;
  }
}

async function create(client: KubeClient, path: string, body: Json): Promise<Json> {
  return (await client.request<Json>({ verb: 'create', method: 'POST', path, body })).body;
}

async function mergeStatus(client: KubeClient, path: string, status: Json): Promise<void> {
  await client.request({ verb: 'patch', method: 'PATCH', path: `${path}/status`, body: { status }, contentType: 'application/merge-patch+json' });
}

/** Creates the namespace when missing. */
export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  if (await get(client, `/api/v1/namespaces/${name}`)) return;
  await create(client, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** What createLocalCluster makes besides the defaults. */
export interface LocalClusterOptions {
  paused?: boolean;
  /** Name of the LocalCluster (Cluster API's topology generates one). @default the Cluster's */
  infrastructureName?: string;
  /** Name of the LocalControlPlane. @default the Cluster's */
  controlPlaneName?: string;
}

/** A Cluster with its LocalCluster and LocalControlPlane, owned by it as Cluster API makes them. */
export async function createLocalCluster(client: KubeClient, namespace: string, name: string, version = 'v1.36.3', options: LocalClusterOptions = {}): Promise<void> {
  await ensureNamespace(client, namespace);
  const labels = { 'cluster.x-k8s.io/cluster-name': name };
  const infrastructureName = options.infrastructureName ?? name;
  const controlPlaneName = options.controlPlaneName ?? name;
  const cluster = await create(client, capiPath('clusters', namespace), {
    apiVersion: CAPI,
    kind: 'Cluster',
    metadata: { name, namespace, labels },
    spec: {
      paused: options.paused,
      infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalCluster', name: infrastructureName },
      controlPlaneRef: { apiGroup: 'controlplane.clusterops.io', kind: 'LocalControlPlane', name: controlPlaneName },
    },
  });
  const owner = [{ apiVersion: CAPI, kind: 'Cluster', name, uid: cluster.metadata.uid, controller: false }];
  const make = (kind: LocalKind, objectName: string, spec: Json) =>
    create(client, localPath(kind, namespace), { apiVersion: localApiVersion(kind), kind, metadata: { name: objectName, namespace, labels, ownerReferences: owner }, spec });
  await make('LocalCluster', infrastructureName, {});
  await make('LocalControlPlane', controlPlaneName, { version, replicas: 1 });
}

/**
 * Does for one cluster what Cluster API's Cluster controller does: copies the LocalCluster's endpoint
 * and provisioned state, and the control plane's initialization, into the Cluster; resolves once the
 * control plane is initialized. The LocalCluster and LocalControlPlane are the ones the Cluster refers to.
 */
export async function actAsClusterController(client: KubeClient, namespace: string, name: string, timeoutMs?: number): Promise<void> {
  const clusterPath = capiPath('clusters', namespace, name);
  const refs = (await get(client, clusterPath))?.spec;
  if (!refs) throw new Error(`no Cluster ${namespace}/${name}`);
  const endpoint = await waitFor('LocalCluster provisioned', async () => {
    const lc = await get(client, localPath('LocalCluster', namespace, refs.infrastructureRef.name));
    return lc?.status?.initialization?.provisioned === true && lc.spec.controlPlaneEndpoint;
  }, timeoutMs);
  await client.request({ verb: 'patch', method: 'PATCH', path: clusterPath, body: { spec: { controlPlaneEndpoint: endpoint } }, contentType: 'application/merge-patch+json' });
  await mergeStatus(client, clusterPath, { initialization: { infrastructureProvisioned: true } });
  await waitFor('LocalControlPlane initialized', async () => {
    const cp = await get(client, localPath('LocalControlPlane', namespace, refs.controlPlaneRef.name));
    return cp?.status?.initialization?.controlPlaneInitialized === true;
  }, timeoutMs);
  await mergeStatus(client, clusterPath, { initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true } });
}

/** What createMachine makes besides the defaults. */
export interface MachineOptions {
  /** The pool (MachineDeployment) label Cluster API's topology puts on the Machine. @default none */
  pool?: string;
  /** Name of the LocalMachine (Cluster API generates one). @default the Machine's */
  localMachine?: string;
}

/** A worker Machine of the cluster with bootstrap data, and its LocalMachine owned by it. */
export async function createMachine(client: KubeClient, namespace: string, cluster: string, name: string, options: MachineOptions = {}): Promise<void> {
  const labels: Record<string, string> = { 'cluster.x-k8s.io/cluster-name': cluster };
  if (options.pool !== undefined) labels['topology.cluster.x-k8s.io/deployment-name'] = options.pool;
  const localMachine = options.localMachine ?? name;
  const machine = await create(client, capiPath('machines', namespace), {
    apiVersion: CAPI,
    kind: 'Machine',
    metadata: { name, namespace, labels },
    spec: {
      clusterName: cluster,
      version: 'v1.36.3',
      bootstrap: { dataSecretName: `${name}-bootstrap` },
      infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalMachine', name: localMachine },
    },
  });
  await create(client, localPath('LocalMachine', namespace), {
    apiVersion: localApiVersion('LocalMachine'),
    kind: 'LocalMachine',
    metadata: { name: localMachine, namespace, labels, ownerReferences: [{ apiVersion: CAPI, kind: 'Machine', name, uid: machine.metadata.uid, controller: true }] },
    spec: {},
  });
}

/**
 * Does for one Machine what Cluster API's Machine controller does with a provisioned
 * InfraMachine: copies its providerID into the Machine and finds the workload Node by that
 * providerID (nodeRef); resolves to the Node.
 */
export async function actAsMachineController(client: KubeClient, workload: KubeClient, namespace: string, name: string): Promise<Json> {
  const machine = await get(client, capiPath('machines', namespace, name));
  if (!machine) throw new Error(`no Machine ${namespace}/${name}`);
  const providerID = await waitFor(`LocalMachine of ${name} provisioned`, async () => {
    const lm = await get(client, localPath('LocalMachine', namespace, machine.spec.infrastructureRef.name));
    return lm?.status?.initialization?.provisioned === true && (lm.spec.providerID as string | undefined);
  });
  await client.request({ verb: 'patch', method: 'PATCH', path: capiPath('machines', namespace, name), body: { spec: { providerID } }, contentType: 'application/merge-patch+json' });
  return waitFor(`the Node of ${providerID}`, async () => {
    const nodes = (await workload.request<{ items: Json[] }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' })).body.items;
    return nodes.find((node) => node.spec?.providerID === providerID);
  });
}

/** Drops every finalizer of an object (no error when it is gone): it goes without its controller. */
export async function dropFinalizers(client: KubeClient, path: string): Promise<void> {
  try {
    await client.request({ verb: 'patch', method: 'PATCH', path, body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
}

/** Deletes an object (no error when it is gone). */
export async function remove(client: KubeClient, path: string): Promise<void> {
  try {
    await client.request({ verb: 'delete', method: 'DELETE', path });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
}

/** The provider as its own process, with its log in `logFile`. */
export function startProviderProcess(kubeconfig: string, stateDir: string, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    return spawn(
      process.execPath,
      ['--import', join(here, '..', '_ts-register.mjs'), join(here, '_provider-child.ts'), '--kubeconfig', kubeconfig, '--state-dir', stateDir],
      { stdio: ['ignore', log, log] },
    );
  } finally {
    closeSync(log);
  }
}

/** Stops the provider process (SIGTERM) and waits for it to exit. */
export async function stopProviderProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
