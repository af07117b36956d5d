import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { exampleFleet, projectRepo } from './_project-repo.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of every process whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/**
 * `npm start` (which runs `clusterops dev`) end to end in a copy of this repository: a control plane
 * of its own, the reconciler following the copy's commits, the "where to look" lines, the example
 * fleet's WorkloadClusters in the API, and nothing left running after Ctrl-C.
 */
describe('npm start / clusterops dev', () => {
  // The example fleet as this repository holds it: its dev stage's two local clusters come up for real.
  const repo = projectRepo(exampleFleet({ dev: 'dev', production: 'production', staging: 'staging' }));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'clusterops-dev-'));
  afterAll(() => {
    for (const pid of processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
    repo.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts, prints where to look, brings the local clusters up Ready, and stops on SIGINT leaving no process', async () => {
    const child = spawn('npm', ['start', '--', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--interval', '2s'], {
      cwd: repo.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that SIGINT reaches npm and clusterops together, as Ctrl-C in a terminal does.
      detached: true,
      env: { ...process.env, CLUSTEROPS_LOG_LEVEL: 'warn' },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const t0 = Date.now();
    while (!out.includes('stop:')) {
      if (Date.now() - t0 > 600_000) throw new Error(`no "where to look" output within 600 s:\n${out}\n${err.slice(-3000)}`);
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${out}\n${err.slice(-3000)}`);
      await sleep(200);
    }
    const started = Date.now() - t0;
    expect(out).toContain('clusterops dev: following');
    const kubeconfig = /kubeconfig:\s+(\S+)/.exec(out)?.[1];
    expect(kubeconfig).toBeDefined();
    expect(out).toMatch(/metrics:\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    // The dashboard, linked from the banner, opens without a login from this machine (and only from it).
    const dashboard = /dashboard:\s+(http:\/\/127\.0\.0\.1:\d+\/)\s/.exec(out)?.[1];
    expect(dashboard, out).toBeDefined();
    expect((await fetch(dashboard!)).status).toBe(200);
    expect((await fetch(`${dashboard}api/fleet`)).status).toBe(200);
    expect(out).toContain('kubectl get workloadclusters -A');
    expect(out).toContain('clusterops get clusters --kubeconfig');
    expect(out).toContain('Cluster API (core, kubeadm bootstrap, kubeadm control plane) and the local provider');

    const api = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig! }));
    type Listed = { metadata: { namespace: string; name: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
    let items: Listed[] = [];
    const names = () => items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();
    const ready = () => items.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();
    let listedAt = 0;
    try {
      // Every cluster listed, and the two local ones Ready: Cluster API and the local provider brought them up.
      for (const t1 = Date.now(); ready().length < 2; await sleep(500)) {
        const res = await api
          .request<{ items: Listed[] }>({ verb: 'list', method: 'GET', path: '/apis/clusterops.io/v1alpha1/workloadclusters' })
          .catch(() => ({ body: { items: [] as Listed[] } }));
        items = res.body.items;
        if (items.length === 6 && !listedAt) listedAt = Date.now() - t0;
        if (Date.now() - t1 > 600_000) {
          const local = items.filter((i) => i.metadata.namespace === 'dev').map((i) => `${i.metadata.name}: ${JSON.stringify(i.status)}`);
          const providerLog = path.join(stateDir, 'management', 'logs', 'local-provider.log');
          const tail = existsSync(providerLog) ? readFileSync(providerLog, 'utf8').split('\n').slice(-40).join('\n') : '(no provider log)';
          throw new Error(`not Ready within 600 s (listed: ${names().join(', ')}; ready: ${ready().join(', ')}):\n${local.join('\n')}\n${tail}\n${err.slice(-3000)}`);
        }
      }
    } finally {
      api.close();
    }
    expect(names()).toEqual(['dev/jobs', 'dev/web', 'production/analytics-weu', 'production/payments-eu1', 'staging/dev-local', 'staging/payments-eu1']);
    // Only the local clusters: no infrastructure controllers run for docker, aws and azure here.
    expect(ready()).toEqual(['dev/jobs', 'dev/web']);
    process.stderr.write(`dev: "where to look" after ${started} ms, fleet listed after ${listedAt} ms, both local clusters Ready after ${Date.now() - t0} ms\n`);

    expect(processesMentioning(stateDir).length).toBeGreaterThanOrEqual(2);
    process.kill(-child.pid!, 'SIGINT');
    const ended = await Promise.race([exit, sleep(60_000).then(() => undefined)]);
    // npm passes Ctrl-C on and then ends by the same signal, as a shell expects; clusterops itself exits 0.
    expect(ended, err.slice(-3000)).toBeDefined();
    expect(ended!.code === 0 || ended!.signal === 'SIGINT', JSON.stringify(ended)).toBe(true);
    expect(err).not.toMatch(/^error:/m);
    for (let i = 0; i < 50 && processesMentioning(stateDir).length > 0; i++) await sleep(200);
    expect(processesMentioning(stateDir)).toEqual([]);
  });
});
