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

/** A Cluster with its LocalCluster and LocalControlPlane, owned by it as Cluster API makes them. */
export async function createLocalCluster(client: KubeClient, namespace: string, name: string, version = 'v1.36.3', options: { paused?: boolean } = {}): Promise<void> {
  await ensureNamespace(client, namespace);
  const labels = { 'cluster.x-k8s.io/cluster-name': name };
  const cluster = await create(client, capiPath('clusters', namespace), {
    apiVersion: CAPI,
    kind: 'Cluster',
    metadata: { name, namespace, labels },
    spec: {
      paused: options.paused,
      infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalCluster', name },
      controlPlaneRef: { apiGroup: 'controlplane.clusterops.io', kind: 'LocalControlPlane', name },
    },
  });
  const owner = [{ apiVersion: CAPI, kind: 'Cluster', name, uid: cluster.metadata.uid, controller: false }];
  const make = (kind: LocalKind, spec: Json) =>
    create(client, localPath(kind, namespace), { apiVersion: localApiVersion(kind), kind, metadata: { name, namespace, labels, ownerReferences: owner }, spec });
  await make('LocalCluster', {});
  await make('LocalControlPlane', { version, replicas: 1 });
}

/**
 * Does for one cluster what Cluster API's Cluster controller does: copies the LocalCluster's endpoint
 * and provisioned state, and the control plane's initialization, into the Cluster; resolves once the
 * control plane is initialized.
 */
export async function actAsClusterController(client: KubeClient, namespace: string, name: string, timeoutMs?: number): Promise<void> {
  const clusterPath = capiPath('clusters', namespace, name);
  const endpoint = await waitFor('LocalCluster provisioned', async () => {
    const lc = await get(client, localPath('LocalCluster', namespace, name));
    return lc?.status?.initialization?.provisioned === true && lc.spec.controlPlaneEndpoint;
  }, timeoutMs);
  await client.request({ verb: 'patch', method: 'PATCH', path: clusterPath, body: { spec: { controlPlaneEndpoint: endpoint } }, contentType: 'application/merge-patch+json' });
  await mergeStatus(client, clusterPath, { initialization: { infrastructureProvisioned: true } });
  await waitFor('LocalControlPlane initialized', async () => {
    const cp = await get(client, localPath('LocalControlPlane', namespace, name));
    return cp?.status?.initialization?.controlPlaneInitialized === true;
  }, timeoutMs);
  await mergeStatus(client, clusterPath, { initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true } });
}

/** A worker Machine of the cluster with bootstrap data, and its LocalMachine owned by it. */
export async function createMachine(client: KubeClient, namespace: string, cluster: string, name: string): Promise<void> {
  const labels = { 'cluster.x-k8s.io/cluster-name': cluster };
  const machine = await create(client, capiPath('machines', namespace), {
    apiVersion: CAPI,
    kind: 'Machine',
    metadata: { name, namespace, labels },
    spec: {
      clusterName: cluster,
      version: 'v1.36.3',
      bootstrap: { dataSecretName: `${name}-bootstrap` },
      infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalMachine', name },
    },
  });
  await create(client, localPath('LocalMachine', namespace), {
    apiVersion: localApiVersion('LocalMachine'),
    kind: 'LocalMachine',
    metadata: { name, namespace, labels, ownerReferences: [{ apiVersion: CAPI, kind: 'Machine', name, uid: machine.metadata.uid, controller: true }] },
    spec: {},
  });
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
