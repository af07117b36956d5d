import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconcilerMetrics } from '../../../src/reconciler/metrics.js';
import { parseListen, startServer, type RunningServer } from '../../../src/reconciler/server.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { githubSignature } from '../../../src/reconciler/webhook.js';
import { ChangeSet } from '../../../src/apply/change-set.js';
import { RecentDeliveries } from '../../../src/reconciler/recent-deliveries.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: { secret?: string; ready?: boolean } = {}) {
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  let pushes = 0;
  server = await startServer({
    listen: '127.0.0.1:0',
    metrics,
    logger: silentLogger(),
    webhookSecret: options.secret === undefined ? undefined : Buffer.from(options.secret),
    onPush: () => pushes++,
    readiness: () => ({ ready: options.ready ?? true, message: options.ready === false ? 'waiting for the first sync' : 'ok' }),
  });
  return { url: server.url, metrics, pushes: () => pushes };
}

describe('reconciler HTTP server', () => {
  it('answers /healthz and /readyz', async () => {
    const { url } = await start({ ready: false });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('waiting for the first sync');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('serves the reconciler metrics in Prometheus text format', async () => {
    const { url, metrics } = await start();
    const cs = new ChangeSet();
    cs.add('management.staging', { group: '', kind: 'ConfigMap', namespace: 'a', name: 'b' }, 'created');
    metrics.recordApply('management.staging', 'revision', 0.3, cs, 0);
    metrics.setAppliedRevision('staging', 'dev-local', 'abc');
    metrics.setAppliedRevision('staging', 'dev-local', 'def');
    metrics.recordFailure('fetch');
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('clusterops_objects_total{set="management.staging",action="created"} 1');
    expect(text).toContain('clusterops_reconcile_duration_seconds_count{set="management.staging",pass="revision"} 1');
    expect(text).toContain('clusterops_applied_revision_info{stage="staging",cluster="dev-local",revision="def"} 1');
    expect(text).not.toContain('revision="abc"');
    expect(text).toContain('clusterops_reconcile_failures_total{phase="fetch",set="-"} 1');
  });

  it('fetches on a signed push and refuses a bad or missing signature with 401', async () => {
    const { url, pushes } = await start({ secret: 'hook-secret' });
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const bad = await fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': githubSignature('wrong', body) } });
    expect(bad.status).toBe(401);
    const missing = await fetch(`${url}/hooks/git`, { method: 'POST', body });
    expect(missing.status).toBe(401);
    expect(pushes()).toBe(0);
    const good = await fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': githubSignature('hook-secret', body) } });
    expect(good.status).toBe(202);
    const gitlab = await fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Gitlab-Token': 'hook-secret' } });
    expect(gitlab.status).toBe(202);
    expect(pushes()).toBe(2);
  });

  it('answers 413 to a body over 1 MiB, declared or streamed, and takes one of exactly 1 MiB', async () => {
    const { url, pushes } = await start({ secret: 'hook-secret' });
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const declared = await fetch(`${url}/hooks/git`, { method: 'POST', body: big, headers: { 'X-Hub-Signature-256': githubSignature('hook-secret', big) } });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toBe('body too large (limit 1048576 bytes)\n');

    // Chunked, without Content-Length: the server finds out while reading, and the client still gets its answer.
    const streamed = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
      const req = http.request(`${url}/hooks/git`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked', 'X-Gitlab-Token': 'hook-secret' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 32; i++) req.write(Buffer.alloc(64 * 1024, 0x20));
      req.end();
    });
    expect(streamed).toEqual({ status: 413, text: 'body too large (limit 1048576 bytes)\n' });
    expect(pushes()).toBe(0);

    const limit = Buffer.alloc(1024 * 1024, 0x20);
    const atLimit = await fetch(`${url}/hooks/git`, { method: 'POST', body: limit, headers: { 'X-Hub-Signature-256': githubSignature('hook-secret', limit) } });
    expect(atLimit.status).toBe(202);
    expect(pushes()).toBe(1);
  });

  it('schedules a fetch once per delivery id: a replayed GitHub delivery or GitLab retry gets 200 and fetches nothing', async () => {
    const { url, pushes } = await start({ secret: 'hook-secret' });
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'b'.repeat(40) });
    const github = (delivery: string, secret = 'hook-secret') =>
      fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': githubSignature(secret, body), 'X-GitHub-Delivery': delivery } });
    // A request without the secret cannot mark a delivery as seen.
    expect((await github('72d3162e-cc78-11e3-81ab-4c9367dc0958', 'wrong')).status).toBe(401);
    expect((await github('72d3162e-cc78-11e3-81ab-4c9367dc0958')).status).toBe(202);
    const replay = await github('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe('duplicate delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958: its fetch was already scheduled\n');
    expect(pushes()).toBe(1);
    expect((await github('8a1f0c9e-0000-4000-8000-000000000001')).status).toBe(202);
    expect(pushes()).toBe(2);

    const gitlab = () => fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Gitlab-Token': 'hook-secret', 'Idempotency-Key': '908a6d9e-45fd-46c8-97e6-c4f350f219dd' } });
    expect((await gitlab()).status).toBe(202);
    expect((await gitlab()).status).toBe(200);
    // Without a delivery id every verified push fetches, as before.
    for (let i = 0; i < 2; i++) expect((await fetch(`${url}/hooks/git`, { method: 'POST', body, headers: { 'X-Gitlab-Token': 'hook-secret' } })).status).toBe(202);
    expect(pushes()).toBe(5);
  });

  it('remembers a bounded number of deliveries, the least recently seen forgotten first', () => {
    const recent = new RecentDeliveries(2);
    expect([recent.seen('a'), recent.seen('b'), recent.seen('a')]).toEqual([false, false, true]);
    expect(recent.seen('c')).toBe(false); // b goes: a was seen more recently
    expect([recent.seen('a'), recent.seen('b')]).toEqual([true, false]);
    expect(recent.size).toBe(2);
  });

  it('refuses webhooks when no secret is configured', async () => {
    const { url, pushes } = await start();
    const res = await fetch(`${url}/hooks/git`, { method: 'POST', body: '{}', headers: { 'X-Gitlab-Token': '' } });
    expect(res.status).toBe(403);
    expect(pushes()).toBe(0);
  });

  it('parses --listen values', () => {
    expect(parseListen(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseListen('8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseListen('localhost')).toThrow(/--listen/);
  });
});
