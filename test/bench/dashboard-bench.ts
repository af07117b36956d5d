/**
 * Benchmark of the fleet dashboard with 1,000 WorkloadClusters on a real control plane (statuses of
 * every phase written through the status subresource, as the reconciler writes them), served by the
 * real server and dashboard modules, measured in a real browser (Debian's Chromium through
 * playwright-core):
 * - render: navigation to the fleet table drawn, holding all 1,000 rows, those in view in the DOM (median of runs; target < 1 s);
 * - live update: one cluster's status patched until its row shows it (the SSE stream, no refetch);
 * - burst: all 1,000 statuses patched until every drawn row shows it (coalesced `changes` messages), and the last row once scrolled to;
 * - search: a keystroke in the search box until the table is filtered;
 * - the stream: one per page, and the bytes of its snapshot.
 * Baseline in the same run: `kubectl get workloadclusters -A` of the same fleet.
 * `npm run bench -- dashboard`; CLUSTEROPS_SCREENSHOTS=DIR also keeps a screenshot of the fleet there.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { workloadClusterCrd } from '../../src/charts/workload-cluster-crd.js';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { bundleDashboard } from '../../src/dashboard/bundle.js';
import { Dashboard } from '../../src/dashboard/dashboard.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { silentLogger } from '../../src/reconciler/logger.js';
import { ReconcilerMetrics } from '../../src/reconciler/metrics.js';
import { startServer } from '../../src/reconciler/server.js';
import { launchBrowser } from '../integration/dashboard/_browser.js';
import { spread } from './_stats.js';

const run = promisify(execFile);
const CLUSTERS = 1000;
const STAGES = ['production', 'staging', 'dev'];
const TEAMS = ['payments', 'search', 'data', 'web', 'platform'];
const PROVIDERS = ['aws', 'azure', 'docker', 'local'];
const RENDER_RUNS = 5;
const UPDATE_RUNS = 10;
const TOKEN = 'bench-dashboard-token-0b8e1f';
const TARGET_RENDER_MS = 1000;

/** The page's document, as the functions run in the browser use it (this program has no DOM types). */
declare const document: { querySelectorAll(selector: string): Iterable<{ textContent: string | null }> & { length: number } };

/** What the benchmark measured. */
export interface DashboardBenchResult {
  clusters: number;
  renderMs: number[];
  updateMs: number[];
  burstMs: number;
  /** From the last of those patches answered to every row changed. */
  burstLagMs: number;
  searchMs: number[];
  snapshotBytes: number;
  streams: number;
  kubectlMs: number[];
}

const name = (i: number) => `c${String(i).padStart(4, '0')}`;

/** A status of one of the phases the reconciler writes, spread over the fleet. */
function statusOf(i: number, revision: string): Record<string, unknown> {
  const at = '2026-12-02T10:00:00Z';
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: at });
  if (i % 50 === 7) {
    const message = `revision ${revision} rejected: clusters/${STAGES[i % 3]}/${name(i)}.yaml:12:7: spec.controlPlane.replicas: stage policy requires at least 3 control-plane replicas`;
    return { phase: 'Degraded', revision, conditions: [cond('Ready', 'False', 'RevisionRejected', message), cond('Synced', 'False', 'RevisionRejected', message), cond('ClusterAvailable', 'True', 'Available', 'control plane 3/3 ready, workers 3/3 ready'), cond('AddonsReady', 'True', 'Healthy', '5/5 add-on objects ready')] };
  }
  if (i % 10 === 3) {
    const message = '* RemoteConnectionProbe: Remote connection not established yet';
    return { phase: 'Provisioning', revision, cluster: { phase: 'Provisioning', version: 'v1.34.2', controlPlane: { desired: 3, ready: 0 }, workers: { desired: 3, ready: 0 } }, conditions: [cond('Ready', 'False', 'NotAvailable', message), cond('Synced', 'True', 'Applied', `revision ${revision} applied`), cond('ClusterAvailable', 'False', 'NotAvailable', message), cond('AddonsReady', 'Unknown', 'WaitingForKubeconfig', 'no kubeconfig yet')] };
  }
  return {
    phase: 'Ready',
    revision,
    lastAppliedTime: at,
    lastChangeSet: { unchanged: 14, configured: 1 },
    addons: { ready: 5, total: 5 },
    cluster: { phase: 'Provisioned', version: 'v1.34.2', controlPlane: { desired: 3, ready: 3 }, workers: { desired: 3, ready: 3 } },
    conditions: [cond('Ready', 'True', 'Ready', 'applied and healthy'), cond('Synced', 'True', 'Applied', `revision ${revision} applied`), cond('ClusterAvailable', 'True', 'Available', 'control plane 3/3 ready, workers 3/3 ready'), cond('AddonsReady', 'True', 'Healthy', '5/5 add-on objects ready')],
  };
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function writeStatus(client: KubeClient, i: number, status: Record<string, unknown>): Promise<void> {
  const stage = STAGES[i % 3];
  await client.request({
    verb: 'apply',
    method: 'PATCH',
    path: `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name(i)}/status`,
    query: { fieldManager: 'bench-status', force: 'true' },
    contentType: 'application/apply-patch+yaml',
    body: { apiVersion: 'clusterops.io/v1alpha1', kind: 'WorkloadCluster', metadata: { name: name(i), namespace: stage }, status },
  });
}

/** Creates the fleet: namespaces, the CRD, 1,000 WorkloadClusters and their statuses. */
async function seed(client: KubeClient): Promise<void> {
  await client.request({ verb: 'create', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: workloadClusterCrd() });
  for (;;) {
    const { body } = await client.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>({ verb: 'get', method: 'GET', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/workloadclusters.clusterops.io' });
    if (body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const stage of STAGES) await client.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } } });
  const all = Array.from({ length: CLUSTERS }, (_, i) => i);
  await pool(all, 16, async (i) => {
    const stage = STAGES[i % 3];
    const provider = PROVIDERS[i % 4];
    await client.request({
      verb: 'create',
      method: 'POST',
      path: `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters`,
      body: {
        apiVersion: 'clusterops.io/v1alpha1',
        kind: 'WorkloadCluster',
        metadata: { name: name(i), namespace: stage, labels: { team: TEAMS[i % TEAMS.length], 'clusterops.io/stage': stage, 'clusterops.io/cluster': name(i) } },
        spec: { provider, ...(provider === 'aws' ? { region: 'eu-west-1' } : provider === 'azure' ? { region: 'westeurope' } : {}), kubernetesVersion: 'v1.34.2', controlPlane: { replicas: 3 }, nodePools: [{ name: 'general', replicas: 3 }], addons: { 'default-deny-policies': {}, 'priority-classes': {} } },
      },
    });
    await writeStatus(client, i, statusOf(i, '4f2c9e1d7a3b'));
  });
}

function kubectl(): string {
  for (const minor of [36, 35, 34, 33]) {
    const candidate = `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
    if (existsSync(candidate)) return candidate;
  }
  return 'kubectl';
}

/** Runs the benchmark and prints its numbers. */
export async function runDashboardBench(): Promise<DashboardBenchResult> {
  await bundleDashboard();
  const stateDir = await mkdtemp(path.join(tmpdir(), 'clusterops-dashboard-bench-'));
  const controlPlane = await ControlPlane.start({ stateDir, progress: () => undefined });
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: controlPlane.kubeconfigPath }), { maxSockets: 16 });
  const tokenFile = path.join(stateDir, 'dashboard-token');
  await writeFile(tokenFile, TOKEN);
  const t0 = Date.now();
  await seed(client);
  process.stdout.write(`seeded ${CLUSTERS} WorkloadClusters with statuses in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

  const dashboard = await Dashboard.start({ client, tokenFile });
  const server = await startServer({ listen: '127.0.0.1:0', metrics: new ReconcilerMetrics({ defaultMetrics: false }), logger: silentLogger(), onPush: () => undefined, readiness: () => ({ ready: true, message: 'bench' }), dashboard });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=token]', TOKEN);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);

    // The table is drawn: it holds every cluster, and the rows in view are in the DOM (a long table draws only those, row-window.ts).
    const rows = () =>
      page.waitForFunction((n) => document.querySelectorAll(`table.clusters tbody[data-rows="${n}"] tr[data-key]`).length >= 20, CLUSTERS, { polling: 'raf', timeout: 60_000 });
    const renderMs: number[] = [];
    for (let r = 0; r < RENDER_RUNS; r++) {
      const start = Date.now();
      await page.goto(`${server.url}/`);
      await rows();
      renderMs.push(Date.now() - start);
    }
    const streams = dashboard.streams;

    const updateMs: number[] = [];
    for (let r = 0; r < UPDATE_RUNS; r++) {
      // Clusters of stage dev (i % 3 == 2) sort first: rows 4r of the table, in view.
      const i = 2 + 3 * 4 * r;
      const phase = r % 2 === 0 ? 'Failed' : 'Suspended';
      const start = Date.now();
      await writeStatus(client, i, { ...statusOf(i, '4f2c9e1d7a3b'), phase });
      await page.waitForSelector(`tr[data-key="${STAGES[i % 3]}/${name(i)}"][data-phase="${phase}"]`, { timeout: 60_000 });
      updateMs.push(Date.now() - start);
    }

    const burstStart = Date.now();
    await pool(Array.from({ length: CLUSTERS }, (_, i) => i), 16, (i) => writeStatus(client, i, statusOf(i, '9a8b7c6d5e4f')));
    const lastPatched = Date.now();
    const drawnShow = (revision: string) =>
      page.waitForFunction((rev) => {
        const cells = [...document.querySelectorAll('table.clusters tbody tr[data-key] td:nth-child(9)')];
        return cells.length > 0 && cells.every((td) => td.textContent === rev);
      }, revision, { polling: 200, timeout: 120_000 });
    await drawnShow('9a8b7c6');
    const burstMs = Date.now() - burstStart;
    const burstLagMs = Date.now() - lastPatched;
    // The rows not drawn got it too: at the bottom of the table, the last cluster shows it.
    // Stage staging (i % 3 == 1) sorts last; its highest name is the table's last row.
    let j = CLUSTERS - 1;
    while (j % 3 !== 1) j--;
    const last = `${STAGES[1]}/${name(j)}`;
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 1e9));
    await page.waitForFunction((key) => [...document.querySelectorAll(`tr[data-key="${key}"] td:nth-child(9)`)].some((td) => td.textContent === '9a8b7c6'), last, { polling: 'raf', timeout: 60_000 }).catch(async (error) => {
      const where = await page.evaluate(() => {
        const g = globalThis as unknown as { scrollY: number; innerHeight: number; document: { body: { scrollHeight: number }; querySelector(s: string): { getAttribute(a: string): string | null } | null; querySelectorAll(s: string): ArrayLike<{ getAttribute(a: string): string | null }> } };
        const rows = g.document.querySelectorAll('table.clusters tbody tr[data-key]');
        return { scrollY: g.scrollY, innerHeight: g.innerHeight, height: g.document.body.scrollHeight, drawn: g.document.querySelector('table.clusters tbody')?.getAttribute('data-drawn'), lastDrawn: rows[rows.length - 1]?.getAttribute('data-key') };
      });
      throw new Error(`${String(error)}\nthe table at the bottom: ${JSON.stringify(where)}`);
    });
    await drawnShow('9a8b7c6');
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));

    const searchMs: number[] = [];
    for (const q of ['c09', 'rejected', 'payments', '']) {
      const start = Date.now();
      await page.fill('input[name=search]', q);
      await page.waitForFunction((q) => {
        const n = Number([...document.querySelectorAll('table.clusters tbody')].map((b) => (b as unknown as { dataset: { rows?: string } }).dataset.rows)[0]);
        const drawn = document.querySelectorAll('table.clusters tbody tr[data-key]').length;
        return drawn > 0 && (q === '' ? n === 1000 : n < 1000);
      }, q, { polling: 'raf' });
      searchMs.push(Date.now() - start);
    }

    const snapshot = await fetch(`${server.url}/api/fleet`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const snapshotBytes = (await snapshot.arrayBuffer()).byteLength;

    if (process.env.CLUSTEROPS_SCREENSHOTS) await page.screenshot({ path: path.join(path.resolve(process.env.CLUSTEROPS_SCREENSHOTS), 'fleet-1000.png') });

    const kubectlMs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = Date.now();
      await run(kubectl(), ['--kubeconfig', controlPlane.kubeconfigPath, 'get', 'workloadclusters', '-A'], { maxBuffer: 64 * 1024 * 1024 });
      kubectlMs.push(Date.now() - start);
    }

    const result: DashboardBenchResult = { clusters: CLUSTERS, renderMs, updateMs, burstMs, burstLagMs, searchMs, snapshotBytes, streams, kubectlMs };
    const r = spread(renderMs);
    const u = spread(updateMs);
    const k = spread(kubectlMs);
    const s = spread(searchMs);
    process.stdout.write(
      [
        `| measure (${CLUSTERS} clusters) | median | min | max | runs |`,
        '| --- | --- | --- | --- | --- |',
        `| render: navigation to the table drawn (all ${CLUSTERS} rows in it, those in view in the DOM) | ${r.median} ms | ${r.min} ms | ${r.max} ms | ${r.runs} |`,
        `| live update: status patched to row changed | ${u.median} ms | ${u.min} ms | ${u.max} ms | ${u.runs} |`,
        `| burst: all ${CLUSTERS} statuses patched (16 at a time) to every drawn row changed | ${burstMs} ms | | | 1 |`,
        `| burst: last patch answered to every drawn row changed | ${burstLagMs} ms | | | 1 |`,
        `| search: keystroke to table filtered | ${s.median} ms | ${s.min} ms | ${s.max} ms | ${s.runs} |`,
        `| baseline: kubectl get workloadclusters -A | ${k.median} ms | ${k.min} ms | ${k.max} ms | ${k.runs} |`,
        '',
        `streams per page: ${streams}; snapshot ${(snapshotBytes / 1024).toFixed(0)} KiB; render target < ${TARGET_RENDER_MS} ms: ${r.median < TARGET_RENDER_MS ? 'met' : 'MISSED'}`,
        '',
      ].join('\n'),
    );
    return result;
  } finally {
    await browser.close();
    await server.close();
    await dashboard.stop();
    client.close();
    await controlPlane.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
