// Disaster recovery of the management cluster: its objects are lost while the workload control
// plane keeps running; a rebuilt management cluster gets the same Cluster and identity Secrets but
// new, differently named LocalCluster, LocalControlPlane, Machines and LocalMachines. The provider
// must adopt the running control plane (same endpoint, same processes) and the existing Nodes
// (same uids, no new Node). The loss is simulated in the shared management API server: with the
// provider stopped, every finalizer is dropped and every object of the cluster deleted, so the
// provider deletes nothing; the workload state dir stays.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { Kubeconfig, loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { capiPath, corePath, localPath } from '../../../src/localprovider/_objects.js';
import { identitySecretName, IDENTITY_SECRETS, type IdentityPurpose } from '../../../src/localprovider/identity-secrets.js';
import { CLAIMED_BY_ANNOTATION, POOL_LABEL } from '../../../src/localprovider/workload-nodes.js';
import type { LocalKind } from '../../../src/model/local-provider-crds.js';
import {
  actAsClusterController,
  actAsMachineController,
  createLocalCluster,
  createMachine,
  dropFinalizers,
  ensureNamespace,
  get,
  remove,
  startProviderProcess,
  stopProviderProcess,
  waitFor,
} from './_local-cluster.js';

const NS = `dr-${Date.now().toString(36)}`;
const CLUSTER = 'dr';
const POOL = 'md-0';
let management: KubeClient;
let stateDir: string;
let provider: ChildProcess;

type Json = Record<string, any>;

interface State {
  owner: { pid: number };
  ports: { apiserver: number };
  processes: Record<string, { pid: number }>;
}

const clusterDir = () => join(stateDir, NS, CLUSTER);
const pidsOf = async (): Promise<Record<string, number>> => {
  const state = JSON.parse(await readFile(join(clusterDir(), 'state.json'), 'utf8')) as State;
  return { ...Object.fromEntries(Object.entries(state.processes).map(([name, ref]) => [name, ref.pid])), supervisor: state.owner.pid };
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A client for the workload cluster built from Secret `<cluster>-kubeconfig` alone. */
async function workloadClient(): Promise<KubeClient> {
  const secret = await get(management, corePath('secrets', NS, `${CLUSTER}-kubeconfig`));
  if (!secret) throw new Error(`no Secret ${CLUSTER}-kubeconfig`);
  return KubeClient.fromKubeConfig(Kubeconfig.fromString(Buffer.from(secret.data.value, 'base64').toString('utf8')), { maxRetries: 1, timeoutMs: 5_000 });
}

async function listNodes(client: KubeClient): Promise<Json[]> {
  return (await client.request<{ items: Json[] }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' })).body.items;
}

const isReady = (node: Json) => node.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') === true;

async function listed(path: string): Promise<Json[]> {
  return (await management.request<{ items: Json[] }>({ verb: 'list', method: 'GET', path })).body.items;
}

/** The entries of one provider log (pino JSON lines) whose message is `msg`. */
async function logged(logFile: string, msg: string): Promise<Json[]> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((line) => line.startsWith('{'));
  return lines.map((line) => JSON.parse(line) as Json).filter((entry) => entry.msg === msg);
}

beforeAll(async () => {
  management = await KubeClient.fromKubeConfig(loadKubeconfig({ path: inject('kubeconfig') }));
  stateDir = await mkdtemp(join(tmpdir(), 'local-provider-dr-'));
  provider = startProviderProcess(inject('kubeconfig'), stateDir, join(stateDir, 'provider-1.log'));
  await ensureNamespace(management, NS);
});

afterAll(async () => {
  await remove(management, `/api/v1/namespaces/${NS}`);
  await waitFor('the test namespace gone', async () => (await get(management, `/api/v1/namespaces/${NS}`)) === undefined, 90_000).catch(() => undefined);
  await stopProviderProcess(provider);
  const { stopControlPlanesUnder } = await import('../../../src/controlplane/index.js');
  await stopControlPlanesUnder(stateDir, () => undefined);
  if (!process.env.CLUSTEROPS_KEEP_STATE) await rm(stateDir, { recursive: true, force: true });
  management.close();
}, 120_000);

describe('local provider after the management cluster was lost', () => {
  it('adopts the running control plane and the Nodes of a cluster re-created with new object names', async () => {
    // A cluster with two machines of one pool.
    await createLocalCluster(management, NS, CLUSTER);
    await actAsClusterController(management, NS, CLUSTER);
    await Promise.all(['dr-md-0-a', 'dr-md-0-b'].map((name) => createMachine(management, NS, CLUSTER, name, { pool: POOL })));
    let workload = await workloadClient();
    const before = await waitFor('two Ready Nodes', async () => {
      const nodes = (await listNodes(workload)).filter(isReady);
      return nodes.length === 2 && nodes;
    });
    for (const node of before) expect(node.metadata.labels[POOL_LABEL]).toBe(POOL);
    const port = (await get(management, localPath('LocalCluster', NS, CLUSTER)))!.spec.controlPlaneEndpoint.port as number;
    const pids = await pidsOf();
    const nodes = Object.fromEntries(before.map((node) => [node.metadata.uid as string, node.spec.providerID as string]));
    expect(Object.values(nodes).sort()).toEqual([`local://${NS}/${CLUSTER}/dr-md-0-a`, `local://${NS}/${CLUSTER}/dr-md-0-b`]);
    const identity: Record<string, Json> = {};
    for (const purpose of Object.keys(IDENTITY_SECRETS) as IdentityPurpose[]) {
      const name = identitySecretName(CLUSTER, purpose);
      const secret = (await get(management, corePath('secrets', NS, name)))!;
      identity[name] = { type: secret.type, data: secret.data };
    }

    // The loss: nothing of the cluster is left in the management cluster, and the provider deleted nothing.
    await stopProviderProcess(provider);
    const objects: Array<[LocalKind, string]> = [
      ['LocalMachine', 'dr-md-0-a'],
      ['LocalMachine', 'dr-md-0-b'],
      ['LocalControlPlane', CLUSTER],
      ['LocalCluster', CLUSTER],
    ];
    for (const [kind, name] of objects) {
      await dropFinalizers(management, localPath(kind, NS, name));
      await remove(management, localPath(kind, NS, name));
    }
    for (const name of ['dr-md-0-a', 'dr-md-0-b']) await remove(management, capiPath('machines', NS, name));
    await remove(management, capiPath('clusters', NS, CLUSTER));
    for (const name of [...Object.keys(identity), `${CLUSTER}-kubeconfig`]) await remove(management, corePath('secrets', NS, name));
    await waitFor('the management cluster lost every object of the cluster', async () => {
      const left = await Promise.all([
        ...(['LocalMachine', 'LocalControlPlane', 'LocalCluster'] as LocalKind[]).map((kind) => listed(localPath(kind, NS))),
        listed(capiPath('machines', NS)),
        listed(capiPath('clusters', NS)),
        listed(corePath('secrets', NS)).then((secrets) => secrets.filter((secret) => secret.metadata.name.startsWith(`${CLUSTER}-`))),
      ]);
      return left.every((items) => items.length === 0);
    });
    expect(Object.values(pids).filter((pid) => !alive(pid))).toEqual([]);
    expect((await listNodes(workload)).map((node) => node.metadata.uid).sort()).toEqual(Object.keys(nodes).sort());
    workload.close();

    // The rebuild: identity Secrets restored as they were (no owner), the Cluster from git, new generated names.
    for (const [name, secret] of Object.entries(identity)) {
      await management.request({
        verb: 'create',
        method: 'POST',
        path: corePath('secrets', NS),
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels: { 'cluster.x-k8s.io/cluster-name': CLUSTER } }, type: secret.type, data: secret.data },
      });
    }
    await createLocalCluster(management, NS, CLUSTER, 'v1.36.3', { infrastructureName: 'dr-infra-x7k2p', controlPlaneName: 'dr-cp-q9w4z' });
    const machines = { 'dr-md-0-c': 'dr-md-0-infra-c', 'dr-md-0-d': 'dr-md-0-infra-d' };
    await Promise.all(Object.entries(machines).map(([name, localMachine]) => createMachine(management, NS, CLUSTER, name, { pool: POOL, localMachine })));
    const logFile = join(stateDir, 'provider-2.log');
    provider = startProviderProcess(inject('kubeconfig'), stateDir, logFile);

    // The endpoint first: on another port the control plane would be refused (IdentityMismatch), never provisioned.
    const endpoint = await waitFor('the new LocalCluster has an endpoint', async () => (await get(management, localPath('LocalCluster', NS, 'dr-infra-x7k2p')))?.spec?.controlPlaneEndpoint);
    expect(endpoint.port).toBe(port);
    await actAsClusterController(management, NS, CLUSTER);
    expect(await logged(logFile, 'adopted the endpoint of the running control plane')).toHaveLength(1);
    expect(await logged(logFile, 'assigned the control-plane endpoint')).toHaveLength(0);
    expect((await logged(logFile, 'workload control plane adopted')).length).toBeGreaterThan(0);
    expect(await logged(logFile, 'workload control plane started')).toHaveLength(0);
    expect(await pidsOf()).toEqual(pids);

    workload = await workloadClient();
    const adopted = await Promise.all(Object.keys(machines).map((name) => actAsMachineController(management, workload, NS, name)));
    expect(adopted.map((node) => node.metadata.uid).sort()).toEqual(Object.keys(nodes).sort());
    for (const [name, localMachine] of Object.entries(machines)) {
      const machine = (await get(management, capiPath('machines', NS, name)))!;
      const lm = (await get(management, localPath('LocalMachine', NS, localMachine)))!;
      const node = adopted.find((each) => each.spec.providerID === machine.spec.providerID)!;
      expect(Object.values(nodes)).toContain(machine.spec.providerID);
      expect(lm.spec.providerID).toBe(machine.spec.providerID);
      expect(lm.status.nodeName).toBe(node.metadata.name);
      expect(node.metadata.annotations[CLAIMED_BY_ANNOTATION]).toBe(`${NS}/${localMachine}`);
    }
    expect(new Set(adopted.map((node) => node.metadata.uid)).size).toBe(2);
    expect(await logged(logFile, 'adopted the Node')).toHaveLength(2);
    expect(await logged(logFile, 'registered the Node')).toHaveLength(0);
    const lost = await logged(logFile, 'lost the claim of an orphan Node; looking again');
    process.stderr.write(`local provider: two LocalMachines adopted two Nodes; claims lost to the other and retried: ${lost.length}\n`);
    // Heartbeats resumed on the adopted Nodes, and no third Node appeared.
    const after = await waitFor('the two adopted Nodes Ready', async () => {
      const list = await listNodes(workload);
      return list.every(isReady) && list;
    });
    expect(after.map((node) => node.metadata.uid).sort()).toEqual(Object.keys(nodes).sort());
    expect(await pidsOf()).toEqual(pids);
    workload.close();
  });
});
