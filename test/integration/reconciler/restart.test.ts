import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { declaration, fleetRepo } from './_fleet-repo.js';
import { PROJECT_ROOT } from './_project-repo.js';

const REGISTER = path.join(PROJECT_ROOT, 'test', 'integration', '_ts-register.mjs');
const CHILD = path.join(PROJECT_ROOT, 'test', 'integration', 'reconciler', '_reconcile-child.ts');
const CLUSTERS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `clusterops reconcile` process; its stderr (JSON logs) is kept. */
function reconcileChild(args: string[]): { child: ChildProcess; log: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['--import', REGISTER, CHILD, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, log: () => log, exit };
}

/** Whether a process is still alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A reconciler killed (SIGKILL, no cleanup) in the middle of applying a fleet, then started again
 * with the same cache folder, converges: every object and status is there, once.
 */
describe('reconciler killed mid-apply, then restarted', () => {
  let cp: TestControlPlane;
  let client: KubeClient;
  const stage = 'restart';
  const repo = fleetRepo(stage);
  let work: string;
  let revision: string;
  const children: ChildProcess[] = [];

  const count = async (p: string) => {
    const res = await client.request<{ items: unknown[]; metadata: { remainingItemCount?: number } }>({ verb: 'list', method: 'GET', path: p, query: { limit: '1' } });
    return res.body.items.length + (res.body.metadata.remainingItemCount ?? 0);
  };
  const configMaps = () => count(`/api/v1/namespaces/${stage}/configmaps`).catch(() => 0);
  const args = () => [
    '--repo', repo.url, '--branch', 'main', '--kubeconfig', cp.kubeconfigPath, '--cache-dir', path.join(work, 'cache'),
    '--no-leader-elect', '--listen', '127.0.0.1:0', '--interval', '1h', '--concurrency', '2',
  ];

  beforeAll(async () => {
    cp = await startTestControlPlane();
    client = await suiteClient({}, cp.kubeconfigPath);
    work = mkdtempSync(path.join(tmpdir(), 'clusterops-restart-'));
    for (let i = 0; i < CLUSTERS; i++) repo.write(`clusters/${stage}/c${String(i).padStart(3, '0')}.yaml`, declaration(`c${String(i).padStart(3, '0')}`));
    revision = repo.commit(`${CLUSTERS} clusters`);
  });
  afterAll(async () => {
    for (const c of children) if (c.pid && alive(c.pid)) c.kill('SIGKILL');
    client?.close();
    await cp?.stop();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('converges after a SIGKILL mid-apply, without duplicates', async () => {
    // ConfigMaps in the stage namespace: one per cluster plus kube-root-ca.crt.
    const expected = CLUSTERS + 1;
    const first = reconcileChild(args());
    children.push(first.child);
    let atKill = 0;
    for (const t0 = Date.now(); ; await sleep(10)) {
      atKill = await configMaps();
      if (atKill > 20) break;
      if (Date.now() - t0 > 600_000) throw new Error(`nothing applied within 600 s:\n${first.log().slice(-2000)}`);
    }
    first.child.kill('SIGKILL');
    const killed = await first.exit;
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = await configMaps();
    process.stderr.write(`restart: killed with ${atKill} ConfigMaps applied (${afterKill} after the kill) of ${expected}\n`);
    // It really was in the middle of the apply.
    expect(afterKill).toBeLessThan(expected);
    expect(first.log()).not.toMatch(/"msg":"set applied"/);

    const second = reconcileChild(args());
    children.push(second.child);
    type Listed = { items: Array<{ metadata: { name: string }; status?: { revision?: string; phase?: string } }> };
    const listClusters = () => client.request<Listed>({ verb: 'list', method: 'GET', path: `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters` });
    const atRevision = (l: Listed) => l.items.filter((w) => w.status?.revision === revision && w.status?.phase === 'Provisioning').length;
    // Applied everywhere; Provisioning, not Ready, since no Cluster API controllers run here.
    // Statuses are written concurrently: wait until every cluster's is at the revision, not only one's.
    const deadline = Date.now() + 600_000;
    let wcs = await listClusters();
    while (atRevision(wcs.body) < CLUSTERS || (await configMaps()) !== expected) {
      if (Date.now() > deadline) throw new Error(`no convergence within 600 s (${atRevision(wcs.body)}/${CLUSTERS} at the revision):\n${second.log().slice(-3000)}`);
      await sleep(250);
      wcs = await listClusters();
    }
    // Every cluster: its ConfigMap and WorkloadCluster, status at the revision, once each.
    expect(wcs.body.items.length).toBe(CLUSTERS);
    expect(new Set(wcs.body.items.map((w) => w.metadata.name)).size).toBe(CLUSTERS);
    expect(wcs.body.items.filter((w) => w.status?.revision !== revision || w.status?.phase !== 'Provisioning').map((w) => w.metadata.name)).toEqual([]);
    // The inventory lists each member exactly once: namespace, ConfigMaps, WorkloadClusters.
    const inventory = await getObject(client, `/api/v1/namespaces/clusterops-system/configmaps/applyset-management.${stage}`);
    const members = String(inventory?.data?.objects ?? '').split('\n').filter(Boolean);
    expect(members.length).toBe(1 + 2 * CLUSTERS);
    expect(new Set(members.map((m) => m.split(/\s/)[0])).size).toBe(members.length);
    // None left pending (an entry without a content hash is one whose apply never finished).
    expect(members.filter((m) => m.split(' ')[1] === '-')).toEqual([]);

    second.child.kill('SIGTERM');
    const stopped = await second.exit;
    expect(stopped.code).toBe(0);
    expect(alive(second.child.pid!)).toBe(false);
  });

  it('a new commit after the restart still applies (the cache survived the kill)', async () => {
    repo.write(`clusters/${stage}/c000.yaml`, declaration('c000', { kubernetesVersion: 'v1.34.1' }));
    const next = repo.commit('upgrade c000');
    const once = reconcileChild([...args(), '--once']);
    children.push(once.child);
    const r = await once.exit;
    expect(r.code, once.log().slice(-2000)).toBe(0);
    expect(once.log()).toContain(`revision ${next}`);
    expect((await getObject(client, `/api/v1/namespaces/${stage}/configmaps/cluster-c000`))?.data).toEqual({ version: 'v1.34.1' });
  });
});
