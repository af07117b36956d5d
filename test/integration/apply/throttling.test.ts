import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, KubeConnectionError, KubeError } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { configMap, manager, manifestSet, namespace, suiteKubeconfig, unique } from './_helpers.js';

/** What the proxy does with the n-th request (0-based): forward it, or answer it itself. */
type Behaviour = (n: number) => { status: number; retryAfter?: string } | { delayMs: number } | 'forward';

/** A plain-HTTP proxy on 127.0.0.1 in front of the suite's API server that can throttle or stall requests. */
async function startProxy(): Promise<{ url: string; seen: () => number; behave: (b: Behaviour) => void; close: () => Promise<void> }> {
  const kc = loadKubeconfig({ path: suiteKubeconfig() });
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const upstream = new URL(kc.getCurrentCluster()!.server);
  const agent = new https.Agent({ ca: tls.ca, cert: tls.cert, key: tls.key, keepAlive: true });
  let behaviour: Behaviour = () => 'forward';
  let count = 0;
  const server = http.createServer((req, res) => {
    const action = behaviour(count++);
    const forward = () => {
      const out = https.request(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (action === 'forward') return forward();
    if ('delayMs' in action) {
      setTimeout(forward, action.delayMs);
      return;
    }
    req.resume();
    res.writeHead(action.status, { 'Content-Type': 'application/json', ...(action.retryAfter ? { 'Retry-After': action.retryAfter } : {}) });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', message: 'slow down', code: action.status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: () => count,
    behave: (b) => {
      behaviour = b;
      count = 0;
    },
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function kubeconfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'proxy', server: url, skipTLSVerify: true }],
    users: [{ name: 'proxy' }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }],
    currentContext: 'proxy',
  });
  return kc;
}

describe('throttled and slow answers', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    proxy = await startProxy();
  });
  afterAll(async () => proxy.close());

  it('retries 429 and 5xx answers with backoff, then converges', async () => {
    const client = await KubeClient.fromKubeConfig(kubeconfigFor(proxy.url), { baseDelayMs: 20, maxDelayMs: 200, maxRetries: 6 });
    try {
      // Every third request is refused: 429 (Retry-After 0), 503 or 500 in turn.
      const refusals = [{ status: 429, retryAfter: '0' }, { status: 503 }, { status: 500 }];
      proxy.behave((n) => (n % 3 === 0 ? refusals[(n / 3) % 3] : 'forward'));
      const ns = unique('throttle');
      const set = manifestSet(`test.${ns}`, [namespace(ns), ...Array.from({ length: 20 }, (_, i) => configMap(ns, `c${i}`, { i: String(i) }))]);
      const cs = await manager(client).apply(set);
      expect(cs.errors).toEqual([]);
      expect(cs.counts().created).toBe(21);
      expect(client.counter.get('retry')).toBeGreaterThanOrEqual(Math.floor(proxy.seen() / 3));
      proxy.behave(() => 'forward');
      const again = await manager(client).apply(set);
      expect(again.hasChanges).toBe(false);
    } finally {
      client.close();
    }
  });

  it('honours Retry-After', async () => {
    const client = await KubeClient.fromKubeConfig(kubeconfigFor(proxy.url), { baseDelayMs: 1, maxDelayMs: 5000 });
    try {
      proxy.behave((n) => (n === 0 ? { status: 429, retryAfter: '1' } : 'forward'));
      const started = Date.now();
      await client.request({ verb: 'get', method: 'GET', path: '/api/v1/namespaces/default' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(client.counter.get('retry')).toBe(1);
    } finally {
      client.close();
    }
  });

  it('gives up after a bounded number of attempts with a typed error', async () => {
    const client = await KubeClient.fromKubeConfig(kubeconfigFor(proxy.url), { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 4 });
    try {
      proxy.behave(() => ({ status: 429 }));
      const error = await client.request({ verb: 'get', method: 'GET', path: '/api/v1/namespaces/default' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeError);
      expect(error).toMatchObject({ status: 429, reason: 'TooManyRequests', statusMessage: 'slow down' });
      expect(proxy.seen()).toBe(5);
    } finally {
      client.close();
    }
  });

  it('retries an answer that does not come in time', async () => {
    const client = await KubeClient.fromKubeConfig(kubeconfigFor(proxy.url), { baseDelayMs: 5, timeoutMs: 300, maxRetries: 2 });
    try {
      proxy.behave((n) => (n === 0 ? { delayMs: 1500 } : 'forward'));
      const res = await client.request<{ metadata: { name: string } }>({ verb: 'get', method: 'GET', path: '/api/v1/namespaces/default' });
      expect(res.body.metadata.name).toBe('default');
      expect(client.counter.get('retry')).toBe(1);
    } finally {
      client.close();
    }
  });

  it('a server that is not there is a connection error naming the code, not the credentials', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const kc = kubeconfigFor(`http://127.0.0.1:${port}`);
    const client = await KubeClient.fromKubeConfig(kc, { baseDelayMs: 5, maxRetries: 2 });
    try {
      const error = await client.request({ verb: 'get', method: 'GET', path: '/api/v1/namespaces' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeConnectionError);
      expect((error as Error).message).toBe('GET /api/v1/namespaces: cannot reach the API server (ECONNREFUSED) after 3 attempt(s)');
    } finally {
      client.close();
    }
  });
});
