// GET /api/cluster/tree against the real API server: the dashboard, served by the reconciler's HTTP
// server, answers one cluster's Cluster API tree read from Cluster, LocalCluster, LocalControlPlane,
// MachineDeployment and Machine objects created here (no Cluster API controllers run, so this test
// writes their statuses), only with the token, only for a WorkloadCluster it knows, and reads the
// API server once for requests that arrive together; and the cluster page in a real browser draws
// that tree, and draws it again when the cluster changes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCommand } from '../../../src/cli/commands/describe.js';
import { workloadClusterCrd, WORKLOAD_CLUSTER_API_VERSION } from '../../../src/charts/workload-cluster-crd.js';
import { bundleDashboard } from '../../../src/dashboard/bundle.js';
import { Dashboard } from '../../../src/dashboard/dashboard.js';
import type { ClusterTreeAnswer } from '../../../src/dashboard/fleet-wire.js';
import { KubeError, type KubeClient } from '../../../src/kube/client.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { ReconcilerMetrics } from '../../../src/reconciler/metrics.js';
import { startServer, type RunningServer } from '../../../src/reconciler/server.js';
import { runCommand } from '../../_run-command.js';
import { suiteClient, suiteKubeconfig, unique } from '../apply/_helpers.js';
import { createLocalCluster } from '../localprovider/_local-cluster.js';
import { waitFor } from '../_wait-for.js';
import { launchBrowser } from './_browser.js';

const TOKEN = 'cluster-tree-test-token-3e8b1f';
const ns = unique('dash-tree');
const CAPI = `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}`;
const T = '2026-12-03T10:00:00Z';

type Json = Record<string, any>;

let client: KubeClient;
let dashboardClient: KubeClient;
let dashboard: Dashboard;
let server: RunningServer;
let work: string;
let browser: Browser | undefined;

const create = (p: string, body: Json) => client.request<Json>({ verb: 'create', method: 'POST', path: p, body }).then((r) => r.body);
const status = (p: string, s: Json) => client.request({ verb: 'patch', method: 'PATCH', path: `${p}/status`, body: { status: s }, contentType: 'application/merge-patch+json' });
const condition = (type: string, value: string, reason: string, message = '') => ({ type, status: value, reason, message, lastTransitionTime: T });
const tree = (name: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
  fetch(`${server.url}/api/cluster/tree?namespace=${ns}&name=${name}`, { headers });

async function workloadCluster(name: string): Promise<void> {
  await create(`/apis/${WORKLOAD_CLUSTER_API_VERSION}/namespaces/${ns}/workloadclusters`, { apiVersion: WORKLOAD_CLUSTER_API_VERSION, kind: 'WorkloadCluster', metadata: { name, namespace: ns }, spec: { provider: 'local', kubernetesVersion: 'v1.36.3' } });
}

/** A worker Machine of `cluster`, in the MachineDeployment `deployment`. */
async function machine(cluster: string, deployment: string, name: string): Promise<string> {
  await create(`${CAPI}/machines`, {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Machine',
    metadata: { name, namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': cluster, 'cluster.x-k8s.io/deployment-name': deployment } },
    spec: { clusterName: cluster, version: 'v1.36.3', bootstrap: { dataSecretName: `${name}-bootstrap` }, infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalMachine', name } },
  });
  return `${CAPI}/machines/${name}`;
}

beforeAll(async () => {
  await bundleDashboard();
  client = await suiteClient();
  await client.request({ verb: 'create', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: workloadClusterCrd() }).catch((error) => {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
  });
  // Cluster, LocalCluster web-infra and LocalControlPlane web-cp, as the other tests of the local provider make them.
  await createLocalCluster(client, ns, 'web', 'v1.36.3', { infrastructureName: 'web-infra', controlPlaneName: 'web-cp' });
  await waitFor('the WorkloadCluster CRD served', async () => {
    try {
      await workloadCluster('web');
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return false;
      throw error;
    }
  }, 30_000);
  await workloadCluster('bare');
  await status(`${CAPI}/clusters/web`, { phase: 'Provisioned', conditions: [condition('Available', 'False', 'NotAvailable', 'workers: 1 of 2 ready')] });
  await status(`/apis/infrastructure.clusterops.io/v1alpha1/namespaces/${ns}/localclusters/web-infra`, { conditions: [condition('Ready', 'True', 'Ready')] });
  await status(`/apis/controlplane.clusterops.io/v1alpha1/namespaces/${ns}/localcontrolplanes/web-cp`, { readyReplicas: 1, version: 'v1.36.3', conditions: [condition('Available', 'True', 'Available')] });
  await create(`${CAPI}/machinedeployments`, {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'MachineDeployment',
    metadata: { name: 'web-md', namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': 'web' } },
    spec: {
      clusterName: 'web',
      replicas: 2,
      selector: { matchLabels: { 'cluster.x-k8s.io/deployment-name': 'web-md' } },
      template: {
        metadata: { labels: { 'cluster.x-k8s.io/deployment-name': 'web-md' } },
        spec: { clusterName: 'web', bootstrap: { dataSecretName: 'web-md-bootstrap' }, infrastructureRef: { apiGroup: 'infrastructure.clusterops.io', kind: 'LocalMachineTemplate', name: 'web-md' } },
      },
    },
  });
  await status(`${CAPI}/machinedeployments/web-md`, { readyReplicas: 1, conditions: [condition('Available', 'False', 'NotAvailable', '1 of 2 replicas ready')] });
  await status(await machine('web', 'web-md', 'web-md-a'), { nodeRef: { name: 'node-a' }, conditions: [condition('Ready', 'True', 'Ready')] });
  await status(await machine('web', 'web-md', 'web-md-b'), { conditions: [condition('Ready', 'False', 'NotReady', 'waiting for the node')] });
  // Another cluster's Machine with the same deployment name: not web's (the tree lists by the cluster-name label).
  await machine('other', 'web-md', 'other-md-a');

  work = mkdtempSync(path.join(tmpdir(), 'clusterops-tree-'));
  writeFileSync(path.join(work, 'token'), `${TOKEN}\n`);
  dashboardClient = await suiteClient();
  dashboard = await Dashboard.start({ client: dashboardClient, tokenFile: path.join(work, 'token') });
  await dashboard.hasSynced;
  server = await startServer({
    listen: '127.0.0.1:0',
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    logger: silentLogger(),
    onPush: () => undefined,
    readiness: () => ({ ready: true, message: 'ok' }),
    dashboard,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await dashboard?.stop();
  dashboardClient?.close();
  await client?.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
  client?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('GET /api/cluster/tree', () => {
  it('needs the token', async () => {
    expect((await tree('web', {})).status).toBe(401);
    expect((await tree('web', { Authorization: 'Bearer not-the-token' })).status).toBe(401);
  });

  it("answers the cluster's Cluster API objects as a tree, each with its key condition", async () => {
    // The dashboard's watch may not have seen the WorkloadCluster yet.
    const answer = await waitFor('the tree of web', async () => {
      const r = await tree('web');
      return r.status === 200 && ((await r.json()) as ClusterTreeAnswer);
    }, 30_000);
    expect(Date.parse(answer.readAt)).toBeGreaterThan(Date.now() - 60_000);
    const t = answer.tree!;
    expect([t.kind, t.name, t.condition?.status, t.condition?.message, t.facts]).toEqual(['Cluster', 'web', 'False', 'workers: 1 of 2 ready', ['phase Provisioned']]);
    expect(t.children.map((c) => [c.kind, c.name, c.conditionType, c.condition?.status, c.facts])).toEqual([
      ['LocalCluster', 'web-infra', 'Ready', 'True', []],
      ['LocalControlPlane', 'web-cp', 'Available', 'True', ['1/1 ready', 'v1.36.3']],
      ['MachineDeployment', 'web-md', 'Available', 'False', ['1/2 ready']],
    ]);
    expect(t.children[2].children.map((m) => [m.kind, m.name, m.condition?.status, m.condition?.reason, m.facts])).toEqual([
      ['Machine', 'web-md-a', 'True', 'Ready', ['node node-a']],
      ['Machine', 'web-md-b', 'False', 'NotReady', ['no node yet']],
    ]);
  });

  it('says there is no Cluster yet (null), and 404 for a cluster the dashboard does not know', async () => {
    const bare = await waitFor('the answer for bare', async () => {
      const r = await tree('bare');
      return r.status === 200 && ((await r.json()) as ClusterTreeAnswer);
    }, 30_000);
    expect(bare.tree).toBeNull();
    const unknown = await tree('nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: `no WorkloadCluster ${ns}/nope` });
  });

  it('`clusterops describe cluster` draws the same objects from the same reader', async () => {
    const run = await runCommand(describeCommand, ['cluster', 'web', '--stage', ns, '--kubeconfig', suiteKubeconfig()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/└─ Cluster\/web +Available=False NotAvailable, phase Provisioned: workers: 1 of 2 ready\n/);
    expect(run.stdout).toMatch(/├─ LocalCluster\/web-infra +Ready=True\n/);
    expect(run.stdout).toMatch(/├─ LocalControlPlane\/web-cp +Available=True, 1\/1 ready, v1.36.3\n/);
    expect(run.stdout).toMatch(/└─ MachineDeployment\/web-md +Available=False NotAvailable, 1\/2 ready\n/);
    expect(run.stdout).toMatch(/├─ Machine\/web-md-a +Ready=True, node node-a\n/);
    expect(run.stdout).toMatch(/└─ Machine\/web-md-b +Ready=False NotReady, no node yet\n/);
    expect(run.stdout).not.toContain('other-md-a');
  });

  it('reads the API server once for requests that arrive together, and keeps that answer a few seconds', async () => {
    const reads = () => dashboardClient.counter.get('get') + dashboardClient.counter.get('list');
    // Past what the tests before kept.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const before = reads();
    const first = await Promise.all([1, 2, 3, 4, 5].map(() => tree('web').then((r) => r.json())));
    const one = reads() - before;
    // The Cluster; the group, version and object of each of its two references; its MachineDeployments and Machines.
    expect(one).toBe(9);
    expect(new Set(first.map((a) => JSON.stringify(a))).size).toBe(1);
    await tree('web');
    expect(reads() - before).toBe(one);
  });

  it("the cluster page draws the tree, and draws it again when the stream says the cluster changed", async () => {
    browser = await launchBrowser();
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('table.clusters');
    await page.goto(`${server.url}/#/cluster/${ns}/web`);
    const machineB = 'section.cluster-tree li[data-kind="Machine"][data-name="web-md-b"]';
    await page.waitForSelector(machineB);
    const cluster = await page.textContent('section.cluster-tree li[data-kind="Cluster"] > .phase');
    expect(cluster).toBe('Available=False');
    expect(await page.textContent('section.cluster-tree li[data-kind="Cluster"] > .tree-message')).toBe('workers: 1 of 2 ready');
    expect(await page.$$eval('section.cluster-tree li', (lis) => lis.map((li) => `${li.getAttribute('data-kind')}/${li.getAttribute('data-name')}`))).toEqual([
      'Cluster/web', 'LocalCluster/web-infra', 'LocalControlPlane/web-cp', 'MachineDeployment/web-md', 'Machine/web-md-a', 'Machine/web-md-b',
    ]);
    expect(await page.textContent(`${machineB} > .phase`)).toBe('Ready=False');
    expect(await page.textContent(`${machineB} > .facts`)).toContain('no node yet');
    if (process.env.CLUSTEROPS_SCREENSHOTS) await page.screenshot({ path: path.join(path.resolve(process.env.CLUSTEROPS_SCREENSHOTS), 'cluster-tree.png'), fullPage: true });

    // The Machine gets its node; the reconciler would then write the WorkloadCluster's status, here an annotation moves its resourceVersion.
    await status(`${CAPI}/machines/web-md-b`, { nodeRef: { name: 'node-b' }, conditions: [condition('Ready', 'True', 'Ready')] });
    await client.request({
      verb: 'patch', method: 'PATCH', path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/namespaces/${ns}/workloadclusters/web`,
      body: { metadata: { annotations: { 'test/changed': 'yes' } } }, contentType: 'application/merge-patch+json',
    });
    await page.waitForSelector(`${machineB} > .phase:text-is("Ready=True")`, { timeout: 30_000 });
    expect(await page.textContent(`${machineB} > .facts`)).toContain('node node-b');
  });
});
