// The local provider against a real management control plane, without Cluster API's controllers:
// the test creates the Cluster API side (Cluster, Machines, owner references) and copies status the
// way Cluster API would (see _local-cluster.ts). Everything else is real: the provider runs as its
// own process and starts real etcd + kube-apiserver + kube-controller-manager per workload cluster.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { Kubeconfig, loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { capiPath, corePath, localPath } from '../../../src/localprovider/_objects.js';
import { generateCa, generateServiceAccountKeys, identitySecretName, IDENTITY_SECRETS, type IdentityPurpose } from '../../../src/localprovider/identity-secrets.js';
import {
  actAsClusterController,
  createLocalCluster,
  createMachine,
  ensureNamespace,
  get,
  remove,
  startProviderProcess,
  stopProviderProcess,
  waitFor,
} from './_local-cluster.js';

const NS = `lp-${Date.now().toString(36)}`;
let management: KubeClient;
let stateDir: string;
let logFile: string;
let provider: ChildProcess;

interface State {
  phase: string;
  owner: { pid: number };
  ports: { apiserver: number };
  processes: Record<string, { pid: number }>;
}

const clusterDir = (cluster: string) => join(stateDir, NS, cluster);
const readState = async (cluster: string): Promise<State> => JSON.parse(await readFile(join(clusterDir(cluster), 'state.json'), 'utf8')) as State;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
/** Pids of processes whose command line names the cluster's state dir (supervisor, etcd, kube-apiserver, kube-controller-manager). */
function processesOf(cluster: string): number[] {
  const dir = clusterDir(cluster);
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // setpriv and sh wrappers exec into the program; count each program once by its own pid.
      return cmd.some((arg) => arg.includes(dir)) && !cmd[0].endsWith('setpriv') && cmd[0] !== '/bin/sh' ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}
function rssMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kib += Number(match?.[1] ?? 0);
  }
  return Math.round(kib / 1024);
}

/** A client for the workload cluster built from Secret `<cluster>-kubeconfig` alone. */
async function workloadClient(cluster: string): Promise<KubeClient> {
  const secret = await get(management, corePath('secrets', NS, `${cluster}-kubeconfig`));
  if (!secret) throw new Error(`no Secret ${cluster}-kubeconfig`);
  return KubeClient.fromKubeConfig(Kubeconfig.fromString(Buffer.from(secret.data.value, 'base64').toString('utf8')), { maxRetries: 1, timeoutMs: 5_000 });
}

async function nodeReady(client: KubeClient, name: string): Promise<Record<string, any> | undefined> {
  const node = await get(client, `/api/v1/nodes/${name}`);
  const ready = node?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
  return ready?.status === 'True' ? node : undefined;
}

/** A client for a workload API server that trusts only `caPem`, and whether its TLS handshake succeeded. */
function servedByCa(port: number, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => {
      resolve(socket.authorized);
      socket.end();
    });
    socket.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  management = await KubeClient.fromKubeConfig(loadKubeconfig({ path: inject('kubeconfig') }));
  stateDir = await mkdtemp(join(tmpdir(), 'local-provider-'));
  logFile = join(stateDir, 'provider.log');
  provider = startProviderProcess(inject('kubeconfig'), stateDir, logFile);
  await ensureNamespace(management, NS);
});

afterAll(async () => {
  // The provider still runs, so the finalizers of what is left are honoured and the namespace goes.
  await remove(management, `/api/v1/namespaces/${NS}`);
  await waitFor('the test namespace gone', async () => (await get(management, `/api/v1/namespaces/${NS}`)) === undefined, 90_000).catch(() => undefined);
  await stopProviderProcess(provider);
  // Whatever a failed test left: stop its control planes, so no process outlives the run.
  const { stopControlPlanesUnder } = await import('../../../src/controlplane/index.js');
  await stopControlPlanesUnder(stateDir, () => undefined);
  if (!process.env.CLUSTEROPS_KEEP_STATE) await rm(stateDir, { recursive: true, force: true });
  management.close();
}, 120_000);

describe('local provider', () => {
  let firstPids: Record<string, number>;

  it('brings up a workload control plane whose <cluster>-kubeconfig Secret works', async () => {
    const began = Date.now();
    await createLocalCluster(management, NS, 'one');
    await actAsClusterController(management, NS, 'one');
    const initializedMs = Date.now() - began;
    const client = await workloadClient('one');
    const version = (await client.request<{ gitVersion: string }>({ verb: 'get', method: 'GET', path: '/version' })).body;
    expect(version.gitVersion).toBe('v1.36.3');
    const cp = await get(management, localPath('LocalControlPlane', NS, 'one'));
    expect(cp?.status).toMatchObject({ initialization: { controlPlaneInitialized: true }, version: 'v1.36.3', replicas: 1, readyReplicas: 1 });
    expect(cp?.status.conditions.find((c: { type: string }) => c.type === 'Available')).toMatchObject({ status: 'True' });
    const secret = await get(management, corePath('secrets', NS, 'one-kubeconfig'));
    expect(secret).toMatchObject({ type: 'cluster.x-k8s.io/secret', metadata: { labels: { 'cluster.x-k8s.io/cluster-name': 'one' } } });
    // Identity Secrets generated in Cluster API's format, owned by the control plane.
    for (const purpose of Object.keys(IDENTITY_SECRETS) as IdentityPurpose[]) {
      const identity = await get(management, corePath('secrets', NS, identitySecretName('one', purpose)));
      expect(identity?.type).toBe('cluster.x-k8s.io/secret');
      expect(Object.keys(identity?.data ?? {}).sort()).toEqual(['tls.crt', 'tls.key']);
      expect(identity?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'LocalControlPlane', name: 'one', controller: true });
    }
    const state = await readState('one');
    firstPids = Object.fromEntries(Object.entries(state.processes).map(([name, ref]) => [name, ref.pid]));
    firstPids.supervisor = state.owner.pid;
    process.stderr.write(`local provider: objects created -> control plane initialized in ${(initializedMs / 1000).toFixed(1)} s; RSS of one cluster's processes ${rssMiB(Object.values(firstPids))} MiB\n`);
    client.close();
  });

  it('uses identity Secrets that exist before the cluster, and never regenerates them', async () => {
    const ca = await generateCa();
    const material: Record<IdentityPurpose, { cert: string; key: string }> = {
      ca,
      etcdCa: await generateCa(),
      frontProxyCa: await generateCa(),
      serviceAccount: await generateServiceAccountKeys(),
    };
    const before: Record<string, string> = {};
    for (const purpose of Object.keys(material) as IdentityPurpose[]) {
      const name = identitySecretName('given', purpose);
      const created = await management.request<{ metadata: { uid: string; resourceVersion: string } }>({
        verb: 'create',
        method: 'POST',
        path: corePath('secrets', NS),
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, labels: { 'cluster.x-k8s.io/cluster-name': 'given' } },
          type: 'cluster.x-k8s.io/secret',
          data: { 'tls.crt': Buffer.from(material[purpose].cert).toString('base64'), 'tls.key': Buffer.from(material[purpose].key).toString('base64') },
        },
      });
      before[name] = created.body.metadata.resourceVersion;
    }
    await createLocalCluster(management, NS, 'given');
    await actAsClusterController(management, NS, 'given');
    const port = (await readState('given')).ports.apiserver;
    expect(await servedByCa(port, ca.cert)).toBe(true);
    expect(await servedByCa(port, (await generateCa()).cert)).toBe(false);
    const kubeconfig = parse(Buffer.from((await get(management, corePath('secrets', NS, 'given-kubeconfig')))!.data.value, 'base64').toString('utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    expect(Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8').trim()).toBe(ca.cert.trim());
    for (const [name, resourceVersion] of Object.entries(before)) {
      const secret = await get(management, corePath('secrets', NS, name));
      expect(secret?.metadata.resourceVersion).toBe(resourceVersion);
      expect(secret?.metadata.ownerReferences).toBeUndefined();
    }
    expect((await readFile(join(clusterDir('given'), 'pki', 'ca.crt'), 'utf8')).trim()).toBe(ca.cert.trim());
  });

  it('registers a Node Ready with the providerID for a LocalMachine, and more for more machines', async () => {
    const client = await workloadClient('one');
    const began = Date.now();
    await createMachine(management, NS, 'one', 'one-w1');
    const node = await waitFor('Node one-w1 Ready', () => nodeReady(client, 'one-w1'));
    const readyMs = Date.now() - began;
    expect(node.spec.providerID).toBe(`local://${NS}/one/one-w1`);
    const machine = await waitFor('LocalMachine provisioned', async () => {
      const lm = await get(management, localPath('LocalMachine', NS, 'one-w1'));
      return lm?.status?.initialization?.provisioned === true && lm;
    });
    expect(machine.spec.providerID).toBe(`local://${NS}/one/one-w1`);
    expect(machine.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(machine.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    process.stderr.write(`local provider: LocalMachine created -> Node Ready in ${(readyMs / 1000).toFixed(1)} s\n`);

    await Promise.all(['one-w2', 'one-w3'].map((name) => createMachine(management, NS, 'one', name)));
    const nodes = await waitFor('three Ready Nodes', async () => {
      const list = (await client.request<{ items: Array<Record<string, any>> }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' })).body.items;
      const ready = list.filter((n) => n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 3 && ready;
    });
    expect(nodes.map((n) => n.spec.providerID).sort()).toEqual(['one-w1', 'one-w2', 'one-w3'].map((m) => `local://${NS}/one/${m}`));
    const lease = await get(client, '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/one-w1');
    expect(lease?.spec.holderIdentity).toBe('one-w1');
    client.close();
  });

  it('restarts a killed workload kube-apiserver', async () => {
    const before = await readState('one');
    process.kill(before.processes['kube-apiserver'].pid, 'SIGKILL');
    const after = await waitFor('a new kube-apiserver', async () => {
      const state = await readState('one');
      return state.phase === 'running' && state.processes['kube-apiserver']?.pid !== before.processes['kube-apiserver'].pid && state;
    });
    expect(after.ports.apiserver).toBe(before.ports.apiserver);
    const client = await workloadClient('one');
    await waitFor('the workload API server answers', async () => (await client.request<{ gitVersion: string }>({ verb: 'get', method: 'GET', path: '/version' })).body.gitVersion === 'v1.36.3');
    // etcd kept its data: the Nodes are still there.
    expect(await waitFor('Node one-w1 Ready again', () => nodeReady(client, 'one-w1'))).toBeDefined();
    const state = await readState('one');
    firstPids = { ...Object.fromEntries(Object.entries(state.processes).map(([name, ref]) => [name, ref.pid])), supervisor: state.owner.pid };
    client.close();
  });

  it('adopts the running clusters after its own restart: same processes, no second copy', async () => {
    await stopProviderProcess(provider);
    for (const pid of Object.values(firstPids)) expect(alive(pid)).toBe(true);
    const beforeProcesses = processesOf('one').sort();
    provider = startProviderProcess(inject('kubeconfig'), stateDir, logFile);
    await waitFor('the provider adopted cluster one', async () => (await readFile(logFile, 'utf8')).split('\n').some((line) => line.includes('"action":"adopted"') && line.includes(`${NS}/one`)));
    const state = await readState('one');
    expect({ ...Object.fromEntries(Object.entries(state.processes).map(([name, ref]) => [name, ref.pid])), supervisor: state.owner.pid }).toEqual(firstPids);
    expect(processesOf('one').sort()).toEqual(beforeProcesses);
    expect(beforeProcesses).toHaveLength(4);
    // The heartbeats resumed: the Nodes stay Ready under kube-controller-manager's node lifecycle controller.
    const client = await workloadClient('one');
    const renewed = await waitFor('a renewed Lease', async () => {
      const lease = await get(client, '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/one-w1');
      return Date.now() - Date.parse(lease?.spec.renewTime) < 15_000 && lease;
    });
    expect(renewed).toBeDefined();
    expect(await nodeReady(client, 'one-w1')).toBeDefined();
    client.close();
  });

  it('refuses a version the local binaries are not, and starts nothing', async () => {
    await createLocalCluster(management, NS, 'old', 'v1.35.2');
    const available = await waitFor('Available=False VersionUnavailable', async () => {
      const cp = await get(management, localPath('LocalControlPlane', NS, 'old'));
      const lc = await get(management, localPath('LocalCluster', NS, 'old'));
      if (lc?.spec?.controlPlaneEndpoint && !(await get(management, capiPath('clusters', NS, 'old')))?.spec?.controlPlaneEndpoint) {
        await management.request({ verb: 'patch', method: 'PATCH', path: capiPath('clusters', NS, 'old'), body: { spec: { controlPlaneEndpoint: lc.spec.controlPlaneEndpoint } }, contentType: 'application/merge-patch+json' });
      }
      const condition = cp?.status?.conditions?.find((c: { type: string }) => c.type === 'Available');
      return condition?.reason === 'VersionUnavailable' && condition;
    });
    expect(available.message).toContain('v1.35.2 cannot run');
    expect(available.message).toContain('v1.36.3');
    await expect(stat(clusterDir('old'))).rejects.toThrow();
  });

  it('does nothing for a paused Cluster', async () => {
    await createLocalCluster(management, NS, 'paused', 'v1.36.3', { paused: true });
    const paused = await waitFor('Paused=True', async () => {
      const lc = await get(management, localPath('LocalCluster', NS, 'paused'));
      return lc?.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'Paused' && c.status === 'True') && lc;
    });
    expect(paused.spec.controlPlaneEndpoint).toBeUndefined();
    expect(paused.metadata.finalizers ?? []).toEqual([]);
  });

  it('deleting a LocalMachine deletes its Node; deleting the cluster leaves no process and no data', async () => {
    const client = await workloadClient('one');
    await remove(management, localPath('LocalMachine', NS, 'one-w3'));
    await waitFor('Node one-w3 gone', async () => (await get(client, '/api/v1/nodes/one-w3')) === undefined);
    client.close();
    const pids = processesOf('one');
    expect(pids.length).toBe(4);
    // Cluster API's deletion order: machines, then the control plane, then the infrastructure cluster.
    for (const machine of ['one-w1', 'one-w2']) await remove(management, localPath('LocalMachine', NS, machine));
    await waitFor('LocalMachines gone', async () => (await get(management, localPath('LocalMachine', NS, 'one-w1'))) === undefined && (await get(management, localPath('LocalMachine', NS, 'one-w2'))) === undefined);
    await remove(management, localPath('LocalControlPlane', NS, 'one'));
    await waitFor('LocalControlPlane gone', async () => (await get(management, localPath('LocalControlPlane', NS, 'one'))) === undefined);
    expect(pids.filter(alive)).toEqual([]);
    await expect(stat(clusterDir('one'))).rejects.toThrow();
    await remove(management, localPath('LocalCluster', NS, 'one'));
    await waitFor('LocalCluster gone', async () => (await get(management, localPath('LocalCluster', NS, 'one'))) === undefined);
    // Generated identity went with the control plane (owner references); the kubeconfig Secret too.
    await waitFor('identity Secrets collected', async () => (await get(management, corePath('secrets', NS, 'one-ca'))) === undefined && (await get(management, corePath('secrets', NS, 'one-kubeconfig'))) === undefined);

    const givenPids = processesOf('given');
    await remove(management, localPath('LocalControlPlane', NS, 'given'));
    await waitFor('LocalControlPlane given gone', async () => (await get(management, localPath('LocalControlPlane', NS, 'given'))) === undefined);
    expect(givenPids.filter(alive)).toEqual([]);
    // Identity that existed before the cluster outlives it.
    expect(await get(management, corePath('secrets', NS, 'given-ca'))).toBeDefined();
  });
});
