import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { startReconcilerProcess, type ReconcilerProcess } from '../../../src/reconciler/reconciler-process.js';
import { githubSignature } from '../../../src/reconciler/webhook.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { declaration, fleetRepo } from './_fleet-repo.js';

const SECRET = 'webhook-secret-for-the-test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `read` returns something truthy; resolves with it and the time it took. */
async function until<T>(read: () => Promise<T | undefined | false>, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const value = await read();
    if (value) return { value, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/**
 * The git webhook through a running reconciler (HTTP server, loop, git, synth, apply) on a control
 * plane of its own: a signed push is applied at once, a badly signed one is refused and fetches nothing.
 */
describe('POST /hooks/git on a running reconciler', () => {
  let cp: TestControlPlane;
  let client: KubeClient;
  let running: ReconcilerProcess;
  const stage = 'hooks';
  const repo = fleetRepo(stage);
  let work: string;
  let first: string;

  const revisionOf = async (name: string) => (await getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name}`))?.status?.revision as string | undefined;
  const fetched = (sha: string) => {
    try {
      execFileSync('git', ['--git-dir', path.join(work, 'cache', 'git', 'repo.git'), 'cat-file', '-e', `${sha}^{commit}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${running.server!.url}/hooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', ...headers }, body });

  beforeAll(async () => {
    cp = await startTestControlPlane();
    client = await suiteClient({}, cp.kubeconfigPath);
    work = mkdtempSync(path.join(tmpdir(), 'clusterops-hook-'));
    writeFileSync(path.join(work, 'webhook-secret'), `${SECRET}\n`, { mode: 0o600 });
    for (const n of ['a', 'b']) repo.write(`clusters/${stage}/${n}.yaml`, declaration(n));
    first = repo.commit('two clusters');
    running = await startReconcilerProcess({
      repo: repo.url,
      branch: 'main',
      kubeconfig: cp.kubeconfigPath,
      cacheDir: path.join(work, 'cache'),
      // Only the webhook (or the first pass) fetches in this test.
      pollIntervalMs: 3_600_000,
      driftIntervalMs: 3_600_000,
      listen: '127.0.0.1:0',
      webhookSecretFile: path.join(work, 'webhook-secret'),
      leaderElection: false,
      logger: silentLogger(),
    });
    await until(async () => (await revisionOf('a')) === first, 60_000);
  });
  afterAll(async () => {
    await running?.stop();
    client?.close();
    await cp?.stop();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a bad signature with 401 and fetches nothing', async () => {
    repo.write(`clusters/${stage}/a.yaml`, declaration('a', { kubernetesVersion: 'v1.34.1' }));
    const second = repo.commit('upgrade a');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: second });
    const bad = await post(body, { 'X-Hub-Signature-256': githubSignature('not-the-secret', body) });
    expect(bad.status).toBe(401);
    expect(await bad.text()).not.toContain(SECRET);
    const tampered = await post(body.replace('main', 'evil'), { 'X-Hub-Signature-256': githubSignature(SECRET, body) });
    expect(tampered.status).toBe(401);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);
    await sleep(1_500);
    expect(fetched(second)).toBe(false);
    expect(await revisionOf('a')).toBe(first);
  });

  it('applies the pushed commit at once after a valid HMAC signature', async () => {
    const head = repo.git('rev-parse', 'HEAD');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: head });
    const t0 = Date.now();
    const res = await post(body, { 'X-Hub-Signature-256': githubSignature(SECRET, body) });
    expect(res.status).toBe(202);
    const { ms } = await until(async () => (await revisionOf('a')) === head, 20_000);
    const latency = Date.now() - t0;
    process.stderr.write(`webhook e2e: POST to status.revision in ${latency} ms (poll ${ms} ms)\n`);
    expect(fetched(head)).toBe(true);
    expect((await getObject(client, `/api/v1/namespaces/${stage}/configmaps/cluster-a`))?.data).toEqual({ version: 'v1.34.1' });
    // Far below the hour-long poll interval: the push did it.
    expect(latency).toBeLessThan(10_000);
  });

  it('accepts the GitLab token style too', async () => {
    repo.write(`clusters/${stage}/c.yaml`, declaration('c'));
    const third = repo.commit('add c');
    const res = await post('{}', { 'X-Gitlab-Token': SECRET });
    expect(res.status).toBe(202);
    await until(async () => (await revisionOf('c')) === third, 20_000);
  });

  it('puts back a hand edit as soon as its watch sees it, with the drift interval an hour away', async () => {
    const path_ = `/api/v1/namespaces/${stage}/configmaps/cluster-a`;
    const wanted = (await getObject(client, path_))!.data.version as string;
    await client.request({ verb: 'patch', method: 'PATCH', path: path_, query: { fieldManager: 'kubectl-edit' }, contentType: 'application/merge-patch+json', body: { data: { version: 'edited-by-hand' } } });
    const { ms } = await until(async () => (await getObject(client, path_))?.data?.version === wanted, 60_000);
    expect(ms).toBeLessThan(3_600_000);
    // And says so: an Event of the cluster's WorkloadCluster.
    const events = () => client.request<{ items: Array<{ reason: string; message: string }> }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${stage}/events` });
    await until(async () => (await events()).body.items.find((e) => e.reason === 'Configured' && /put back after a change outside git: .*ConfigMap\/hooks\/cluster-a/.test(e.message)), 60_000);
  });

  it('answers a reconcile request from its watch of WorkloadClusters, without a poll', async () => {
    const at = new Date().toISOString();
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/b`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'clusterops.io/reconcile-requested-at': at } } },
    });
    await until(async () => (await getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/b`))?.status?.lastHandledReconcileAt === at, 60_000);
  });
});
