// The whole chain on one machine, nothing faked: a commit to clusters/ -> the reconciler applies the
// stage -> real Cluster API renders the topology -> our `local` provider starts a real workload
// control plane and registers a Node per Machine -> the reconciler delivers the add-ons inside it ->
// the WorkloadCluster says Ready because Cluster API says the Cluster is Available. Then the life
// cycle: scale 1 -> 3, a killed workload API server, a restarted provider, and deletion by commit.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCommand } from '../../../src/cli/commands/describe.js';
import { eventsCommand } from '../../../src/cli/commands/events.js';
import { getCommand } from '../../../src/cli/commands/get.js';
import { reconcileCommand } from '../../../src/cli/commands/reconcile.js';
import { resumeCommand, suspendCommand } from '../../../src/cli/commands/suspend.js';
import { kubeconfigCommand } from '../../../src/cli/commands/kubeconfig.js';
import { localProviderController, readControllersState } from '../../../src/controlplane/cluster-api-runtime.js';
import { getObject } from '../apply/_helpers.js';
import { KubeClient } from '../../../src/kube/client.js';
import { Kubeconfig } from '../../../src/kube/kubeconfig.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { runCommand, runMain } from '../../_run-command.js';
import { waitFor } from '../_wait-for.js';
import { PROJECT_ROOT, projectRepo } from '../reconciler/_project-repo.js';
import { testReconciler } from '../reconciler/_test-reconciler.js';
import type { TestRepo } from '../../unit/reconciler/_git-repo.js';
import { startCapiControlPlane, type CapiTestControlPlane } from './_capi-control-plane.js';

const STAGE = `lf-${randomBytes(3).toString('hex')}`;
const CLUSTER = 'one';

function stageYaml(): string {
  return `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: ${STAGE}}
spec:
  defaults:
    kubernetesVersion: v1.36.3
    addons:
      priority-classes: {}
`;
}

function clusterYaml(name: string, replicas: number): string {
  return `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata:
  name: ${name}
  labels: {team: platform}
spec:
  provider: local
  controlPlane: {replicas: 1}
  nodePools:
    - name: general
      replicas: ${replicas}
  network: {podCIDRs: [10.244.0.0/16], serviceCIDRs: [10.96.0.0/12]}
  addons:
    team-namespaces:
      teams:
        - name: shop
          admins: [{group: shop-admins}]
`;
}

type Obj = Record<string, any>;
type Condition = { type: string; status: string; reason?: string; message?: string };

let plane: CapiTestControlPlane;
let repo: TestRepo;
let reconciler: Reconciler;
let work: string;
let localClusters: string;

const condition = (o: Obj | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((c: Condition) => c.type === type);


const workloadClusterPath = (name: string) => `/apis/clusterops.io/v1alpha1/namespaces/${STAGE}/workloadclusters/${name}`;
const clusterDir = (name: string) => path.join(localClusters, STAGE, name);

/** The state file of a local cluster's control plane: the pids of its supervisor and processes. */
function localState(name: string): { phase: string; owner: { pid: number }; processes: Record<string, { pid: number }> } {
  return JSON.parse(readFileSync(path.join(clusterDir(name), 'state.json'), 'utf8')) as { phase: string; owner: { pid: number }; processes: Record<string, { pid: number }> };
}

/** Programs (not wrappers) whose command line names the cluster's state dir. */
function processesOf(name: string): number[] {
  const dir = clusterDir(name);
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\S+ \(.*\) Z/.test(stat)) return [];
      return cmd.some((arg) => arg.includes(dir)) && !cmd[0].endsWith('setpriv') && cmd[0] !== '/bin/sh' ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/** A client for the workload cluster from `clusterops kubeconfig`, as a user would get one. */
async function workloadClient(name: string): Promise<KubeClient> {
  const run = await runCommand(kubeconfigCommand, [name, '--stage', STAGE, '--kubeconfig', plane.kubeconfigPath]);
  expect(run.code, run.stderr).toBe(0);
  return KubeClient.fromKubeConfig(Kubeconfig.fromString(run.stdout), { maxRetries: 1, timeoutMs: 5_000 });
}

/** The WorkloadCluster once it is Ready at `revision` with `nodes` ready workers. */
async function readyAt(revision: string, nodes: number): Promise<Obj> {
  let wc: Obj | undefined;
  return waitFor(`${STAGE}/${CLUSTER} Ready at ${revision.slice(0, 7)} with ${nodes} nodes`, async () => {
    wc = await getObject(plane.client, workloadClusterPath(CLUSTER));
    const ok = condition(wc, 'Ready')?.status === 'True' && wc?.status?.revision === revision && wc?.status?.cluster?.workers?.ready === nodes;
    return ok ? wc : undefined;
  }, 300_000).catch((error: Error) => {
    throw new Error(`${error.message}; its status: ${JSON.stringify(wc?.status)}\n${providerLogTail()}`);
  });
}

/** The last lines of the local provider's log, for failure messages. */
function providerLogTail(): string {
  const log = path.join(plane.stateDir, 'logs', 'local-provider.log');
  return existsSync(log) ? `local-provider.log:\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}` : '';
}

async function readyNodes(client: KubeClient): Promise<Obj[]> {
  const { body } = await client.request<{ items: Obj[] }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' });
  return body.items.filter((n) => n.status?.conditions?.some((c: Condition) => c.type === 'Ready' && c.status === 'True'));
}

beforeAll(async () => {
  plane = await startCapiControlPlane({ controllers: (p) => [localProviderController(p.stateDir, p.kubeconfigPath)] });
  localClusters = path.join(plane.stateDir, 'local-clusters');
  repo = projectRepo({ [`clusters/${STAGE}/stage.yaml`]: stageYaml() });
  work = mkdtempSync(path.join(tmpdir(), 'clusterops-local-fleet-'));
  reconciler = testReconciler(repo.url, work, plane.client, { pollIntervalMs: 1_000, driftIntervalMs: 5_000, requestPollMs: 1_000 }, { seedInstallations: [PROJECT_ROOT] });
  reconciler.start();
}, 600_000);

afterAll(async () => {
  await reconciler?.stop();
  reconciler?.close();
  // Whatever a failed test left running of the workload cluster goes with the control plane's state.
  const { stopControlPlane } = await import('../../../src/controlplane/index.js');
  for (const name of [CLUSTER, 'two']) if (localClusters && existsSync(clusterDir(name))) await stopControlPlane(clusterDir(name)).catch(() => undefined);
  await plane?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  repo?.cleanup();
}, 300_000);

describe('a local cluster under real Cluster API, from a commit', () => {
  let apiserverPid: number;

  it('a commit adding the file brings up the cluster: Machines with Nodes, add-ons inside, WorkloadCluster Ready', async () => {
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml(CLUSTER, 1));
    const committed = Date.now();
    const sha = repo.commit(`add ${CLUSTER}`);
    const wc = await readyAt(sha, 1);
    const readyMs = Date.now() - committed;

    // Ready because Cluster API says so, with its counts.
    expect(condition(wc, 'ClusterAvailable')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition(wc, 'Synced')).toMatchObject({ status: 'True' });
    expect(condition(wc, 'AddonsReady')).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(wc.status.phase).toBe('Ready');
    expect(wc.status.cluster).toMatchObject({ phase: 'Provisioned', version: 'v1.36.3', workers: { desired: 1, ready: 1 } });
    const cluster = await getObject(plane.client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/${CLUSTER}`);
    expect(condition(cluster, 'Available')?.status).toBe('True');
    expect(cluster?.spec.topology.classRef.name).toBe('clusterops-local');

    // The Machine's Node exists in the workload cluster, with the Machine's providerID.
    const { body: machines } = await plane.client.request<{ items: Obj[] }>({
      verb: 'list',
      method: 'GET',
      path: `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/machines`,
      query: { labelSelector: `cluster.x-k8s.io/cluster-name=${CLUSTER}` },
    });
    expect(machines.items).toHaveLength(1);
    const workload = await workloadClient(CLUSTER);
    try {
      const nodes = await readyNodes(workload);
      expect(nodes.map((n) => n.metadata.name)).toEqual([machines.items[0].status.nodeRef.name]);
      expect(nodes[0].spec.providerID).toBe(machines.items[0].spec.providerID);
      // The add-ons, applied inside the workload cluster, not in the management cluster.
      expect(await getObject(workload, '/apis/scheduling.k8s.io/v1/priorityclasses/platform-critical')).toBeDefined();
      expect(await getObject(workload, '/api/v1/namespaces/shop')).toBeDefined();
      expect(await getObject(plane.client, '/api/v1/namespaces/shop')).toBeUndefined();
    } finally {
      workload.close();
    }

    const listed = await runCommand(getCommand, ['clusters', '--kubeconfig', plane.kubeconfigPath, '--stage', STAGE]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')[1].trim().split(/\s+/)).toEqual([STAGE, CLUSTER, 'local', 'v1.36.3', 'Ready', 'True', '1/1', expect.stringMatching(/^\d+\/\d+$/), sha.slice(0, 7), expect.stringMatching(/^\d+[smhd]$/)]);
    apiserverPid = localState(CLUSTER).processes['kube-apiserver'].pid;
    process.stderr.write(`local fleet: commit -> WorkloadCluster Ready (cluster Available, add-ons applied inside) in ${(readyMs / 1000).toFixed(1)} s\n`);
  });

  it('scaling the pool 1 -> 3 in git gives three Ready Nodes, and the status counts them', async () => {
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml(CLUSTER, 3));
    const sha = repo.commit('scale to 3');
    await readyAt(sha, 3);
    const workload = await workloadClient(CLUSTER);
    try {
      expect(await readyNodes(workload)).toHaveLength(3);
    } finally {
      workload.close();
    }
    const { body: deployments } = await plane.client.request<{ items: Obj[] }>({ verb: 'list', method: 'GET', path: `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/machinedeployments` });
    expect(deployments.items.map((d) => [d.spec.replicas, d.status.readyReplicas])).toEqual([[3, 3]]);
  });

  it('the verbs: describe shows the Cluster API tree, events lists what happened, suspend/resume and reconcile are acknowledged', async () => {
    const kc = ['--kubeconfig', plane.kubeconfigPath];
    const described = await runCommand(describeCommand, ['cluster', CLUSTER, ...kc]);
    expect(described.code, described.stderr).toBe(0);
    const tree = described.stdout;
    expect(tree).toMatch(new RegExp(`^WorkloadCluster ${STAGE}/${CLUSTER} {2}provider local, v1.36.3, phase Ready`));
    expect(tree).toMatch(/Cluster\/one +Available=True, phase Provisioned/);
    expect(tree).toMatch(/LocalCluster\/one-\S+ +Ready=True/);
    expect(tree).toMatch(/LocalControlPlane\/one-\S+ +Available=True, 1\/1 ready, v1.36.3/);
    expect(tree).toMatch(/MachineDeployment\/one-general-\S+ +Available=True, 3\/3 ready/);
    expect(tree.match(/Machine\/one-general-\S+ +Ready=True, node one-general-/g)).toHaveLength(3);
    expect(tree).toMatch(/ClusterAvailable=True +Available/);

    const events = await runCommand(eventsCommand, ['cluster', CLUSTER, '--stage', STAGE, ...kc]);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout.split('\n')[0]).toMatch(/^STAGE +LAST SEEN +TYPE +REASON +CLUSTER +COUNT +MESSAGE$/);
    expect(events.stdout).toMatch(new RegExp(`${STAGE} +\\S+ +Normal +Created +${CLUSTER} +\\d+ `));

    const suspended = await runCommand(suspendCommand, ['cluster', CLUSTER, ...kc]);
    expect(suspended).toMatchObject({ code: 0, stdout: `${STAGE}/${CLUSTER} suspended\n` });
    await waitFor('Suspended', async () => (await getObject(plane.client, workloadClusterPath(CLUSTER)))?.status?.phase === 'Suspended');
    const resumed = await runCommand(resumeCommand, ['cluster', CLUSTER, ...kc]);
    expect(resumed).toMatchObject({ code: 0, stdout: `${STAGE}/${CLUSTER} resumed\n` });
    await waitFor('Ready after resume', async () => condition(await getObject(plane.client, workloadClusterPath(CLUSTER)), 'Ready')?.status === 'True');

    const asked = await runCommand(reconcileCommand, ['cluster', CLUSTER, ...kc, '--timeout', '5m']);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(new RegExp(`^✔ ${STAGE}/${CLUSTER} reconciled: revision [0-9a-f]{12}, phase Ready, Ready=True\n$`));
    const acknowledged = await getObject(plane.client, workloadClusterPath(CLUSTER));
    expect(acknowledged?.status.lastHandledReconcileAt).toBe(acknowledged?.metadata.annotations['clusterops.io/reconcile-requested-at']);

    const missing = await runMain(['describe', 'cluster', 'nope', ...kc]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('error: no workload cluster named nope in any stage\n');
  });

  it('a killed workload API server is started again by the provider, and the cluster is Available again', async () => {
    process.kill(apiserverPid, 'SIGKILL');
    // Cluster API notices (its remote connection probe), then the provider restarts the server.
    // Until its control plane is running again as a whole (a supervisor whose starter goes away
    // before it is ready gives up, so the next test must not kill the provider before that).
    const back = await waitFor('a new kube-apiserver serving', async () => {
      const state = localState(CLUSTER);
      const pid = state.processes['kube-apiserver']?.pid;
      if (state.phase !== 'running' || !pid || pid === apiserverPid) return undefined;
      const workload = await workloadClient(CLUSTER);
      try {
        await workload.request({ verb: 'get', method: 'GET', path: '/version' });
        return pid;
      } finally {
        workload.close();
      }
    }, 300_000);
    expect(back).not.toBe(apiserverPid);
    apiserverPid = back;
    // Ready with its three workers counted again: under load a status written while Cluster API still
    // recounted the workers said Ready with 0 ready, so the wait is on both, not Ready alone.
    let last: Obj | undefined;
    const wc = await waitFor('Ready again with 3 ready workers', async () => {
      last = await getObject(plane.client, workloadClusterPath(CLUSTER));
      return condition(last, 'Ready')?.status === 'True' && last?.status?.cluster?.workers?.ready === 3 ? last : undefined;
    }, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}; its status: ${JSON.stringify(last?.status)}\n${providerLogTail()}`);
    });
    expect(wc.status.cluster.workers).toMatchObject({ desired: 3, ready: 3 });
  });

  it('a restarted provider adopts the running control plane: same processes, no second copy', async () => {
    const before = processesOf(CLUSTER).sort();
    const supervisor = localState(CLUSTER).owner.pid;
    const controllers = await readControllersState(plane.stateDir);
    const provider = controllers!.processes['local-provider'];
    process.kill(provider.pid, 'SIGKILL');
    await waitFor('the local provider started again', async () => {
      const now = (await readControllersState(plane.stateDir))!.processes['local-provider'];
      return now.pid !== provider.pid && now.restarts === provider.restarts + 1;
    });
    // It has looked at the cluster again once its status is rewritten; scale once more to prove it acts.
    repo.write(`clusters/${STAGE}/${CLUSTER}.yaml`, clusterYaml(CLUSTER, 2));
    const sha = repo.commit('scale to 2 after the provider restarted');
    await readyAt(sha, 2);
    expect(localState(CLUSTER).owner.pid).toBe(supervisor);
    expect(localState(CLUSTER).processes['kube-apiserver'].pid).toBe(apiserverPid);
    expect(processesOf(CLUSTER).sort()).toEqual(before);
  });

  it('removing the file deletes the cluster through Cluster API: no process and no data left, WorkloadCluster gone', async () => {
    // A second cluster comes as the first goes: a stage keeps its ClusterClass, so the prune is of the
    // cluster's own objects (a prune of most of a set is refused without --allow-mass-prune).
    repo.write(`clusters/${STAGE}/two.yaml`, clusterYaml('two', 1));
    repo.remove(`clusters/${STAGE}/${CLUSTER}.yaml`);
    const sha = repo.commit(`replace ${CLUSTER} by two`);
    await waitFor('the Cluster gone', async () => (await getObject(plane.client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/${CLUSTER}`)) === undefined, 300_000);
    await waitFor('no process of the cluster left', async () => processesOf(CLUSTER).length === 0);
    expect(existsSync(clusterDir(CLUSTER))).toBe(false);
    expect(await getObject(plane.client, workloadClusterPath(CLUSTER))).toBeUndefined();
    expect(await getObject(plane.client, `/api/v1/namespaces/${STAGE}/secrets/${CLUSTER}-kubeconfig`)).toBeUndefined();
    let last: Obj | undefined;
    const two = await waitFor('two Ready', async () => {
      last = await getObject(plane.client, workloadClusterPath('two'));
      return condition(last, 'Ready')?.status === 'True' && last?.status?.revision === sha ? last : undefined;
    }, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}; its status: ${JSON.stringify(last?.status)}\n${providerLogTail()}`);
    });
    expect(two.status.cluster.workers).toMatchObject({ desired: 1, ready: 1 });
  });
});
