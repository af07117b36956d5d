import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { Notifier, scrubSecrets, type Notification } from '../../../src/reconciler/notifier.js';

/** A receiver on 127.0.0.1 that answers each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []) {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/clusterops?token=abc`;
  servers.push(server);
  return { url, received, bodies: () => received.map((r) => JSON.parse(r.body) as Notification) };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

const quick = { logger: silentLogger(), baseDelayMs: 10, timeoutMs: 2_000 };

describe('Notifier', () => {
  it('POSTs failure and recovery as JSON, in order', async () => {
    const r = await receiver();
    const n = new Notifier({ url: r.url, ...quick });
    n.notify({ event: 'failure', subject: 'management.prod', phase: 'apply', revision: 'a'.repeat(40), message: 'Cluster/prod/x: 422 Invalid' });
    n.notify({ event: 'recovery', subject: 'management.prod', revision: 'b'.repeat(40), message: 'applies again' });
    await n.flush();
    expect(r.received.map((x) => x.headers['content-type'])).toEqual(['application/json', 'application/json']);
    const [failure, recovery] = r.bodies();
    expect(failure).toMatchObject({ event: 'failure', subject: 'management.prod', phase: 'apply', revision: 'a'.repeat(40), source: 'clusterops-reconciler' });
    expect(failure.message).toBe('Cluster/prod/x: 422 Invalid');
    expect(Number.isNaN(Date.parse(failure.time))).toBe(false);
    expect(recovery).toMatchObject({ event: 'recovery', revision: 'b'.repeat(40) });
    expect(n.stats).toEqual({ delivered: 2, dropped: 0 });
  });

  it('never sends a credential that rode along in an error message', async () => {
    const r = await receiver();
    const n = new Notifier({ url: r.url, ...quick });
    const key = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEA'.repeat(8)}\n-----END RSA PRIVATE KEY-----`;
    n.notify({
      event: 'failure',
      subject: 'source',
      phase: 'fetch',
      message: `fetch failed: https://deploy:hunter2secret@git.example.com/fleet.git: auth failed; token=s3cr3t-t0ken; Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload; ${key}; ghp_${'x'.repeat(36)}`,
    });
    await n.flush();
    const body = r.received[0].body;
    for (const leaked of ['hunter2secret', 's3cr3t-t0ken', 'eyJhbGciOiJSUzI1NiJ9', 'MIIEowIBAAKCAQEA', `ghp_${'x'.repeat(36)}`]) expect(body).not.toContain(leaked);
    // What a person needs to act stays.
    expect(body).toContain('git.example.com/fleet.git: auth failed');
  });

  it('retries a failing receiver a bounded number of times with backoff, then gives up and goes on', async () => {
    const r = await receiver([503, 502]);
    const n = new Notifier({ url: r.url, ...quick, attempts: 3 });
    n.notify({ event: 'failure', subject: 'a', message: 'one' });
    await n.flush();
    expect(r.received.length).toBe(3);
    expect(n.stats.delivered).toBe(1);

    const down = await receiver([500, 500, 500, 500, 500]);
    const m = new Notifier({ url: down.url, ...quick, attempts: 3 });
    const t0 = Date.now();
    m.notify({ event: 'failure', subject: 'b', message: 'two' });
    m.notify({ event: 'recovery', subject: 'b', message: 'three' });
    await m.flush();
    // The first: three 500s (10 + 20 ms apart), given up. The second: two 500s, then delivered on its third attempt.
    expect(down.received.length).toBe(5 + 1);
    expect(m.stats).toEqual({ delivered: 1, dropped: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10 + 20 + 10);
  });

  it('does not retry a refusal (4xx other than 408 and 429)', async () => {
    const r = await receiver([400]);
    const n = new Notifier({ url: r.url, ...quick, attempts: 4 });
    n.notify({ event: 'failure', subject: 'a', message: 'x' });
    await n.flush();
    expect(r.received.length).toBe(1);
    expect(n.stats).toEqual({ delivered: 0, dropped: 1 });
  });

  it('gives up on an unreachable receiver without throwing', async () => {
    const r = await receiver();
    const url = r.url;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const n = new Notifier({ url, ...quick, attempts: 2 });
    n.notify({ event: 'failure', subject: 'a', message: 'x' });
    await n.flush();
    expect(n.stats).toEqual({ delivered: 0, dropped: 1 });
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new Notifier({ url: 'file:///etc/passwd', ...quick })).toThrow(/http/);
  });
});

describe('scrubSecrets', () => {
  it('keeps ordinary text as it is', () => {
    const text = 'management.prod: Cluster/prod/a: 422 Invalid: spec.topology.version: Invalid value';
    expect(scrubSecrets(text)).toBe(text);
  });
});
