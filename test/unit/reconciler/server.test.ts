import { afterEach, describe, expect, it } from 'vitest';
import { ReconcilerMetrics } from '../../../src/reconciler/metrics.js';
import { parseListen, startServer, type RunningServer } from '../../../src/reconciler/server.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { githubSignature } from '../../../src/reconciler/webhook.js';
import { ChangeSet } from '../../../src/apply/change-set.js';

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
