import { spawn } from 'node:child_process';
import { controlPlaneCli } from './_controlplane-cli.js';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isAlive } from '../../src/controlplane/_proc.js';
import { readCrdDocuments } from '../../src/controlplane/crds.js';
import { KubeClient, KubeError } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { ensurePki } from '../../src/controlplane/pki.js';
import { clusterApiCrdDir, repositoryRoot } from '../../src/controlplane/upstream-assets.js';
import { startTestControlPlane } from './_control-plane.js';

const root = repositoryRoot();
const register = join(root, 'test', 'integration', '_ts-register.mjs');
const cli = controlPlaneCli;

async function expectedKubernetesVersion(): Promise<string> {
  const env = await readFile(join(root, 'tools', 'versions.env'), 'utf8');
  const match = /^KUBERNETES_VERSION=(\S+)$/m.exec(env);
  if (!match) throw new Error('tools/versions.env has no KUBERNETES_VERSION');
  return match[1];
}

interface Condition {
  type: string;
  status: string;
}

interface Crd {
  spec: { versions: Array<{ name: string; served: boolean; storage: boolean }> };
  status: { conditions: Condition[] };
}

/** An admin client for the cluster of `kubeconfig`. */
function adminClient(kubeconfig: string): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
}

/** The body of a GET of `path`. */
async function get<T>(client: KubeClient, path: string): Promise<T> {
  return (await client.request<T>({ verb: 'get', method: 'GET', path })).body;
}

/** The HTTP status a GET of `path` is answered with (as text, so `/readyz` works too). */
async function statusOf(client: KubeClient, path: string): Promise<number> {
  try {
    return (await client.request({ verb: 'get', method: 'GET', path, responseType: 'text' })).status;
  } catch (error) {
    if (error instanceof KubeError) return error.status;
    throw error;
  }
}

/** Resolves when none of `pids` is alive; rejects with the survivors after `timeoutMs`. */
async function expectGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`still alive after ${timeoutMs} ms: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the shared control plane (global setup)', () => {
  let http: KubeClient;
  beforeAll(async () => {
    http = await adminClient(inject('kubeconfig'));
  });
  afterAll(() => http.close());

  it('is the kube-apiserver version the tools build', async () => {
    const version = await get<{ gitVersion: string; major: string; minor: string }>(http, '/version');
    expect(version.gitVersion).toBe(await expectedKubernetesVersion());
    expect(version.gitVersion).toBe('v1.36.3');
    expect(`v${version.major}.${version.minor}`).toBe('v1.36');
  });

  it('shares the kubeconfig through the environment too', () => {
    expect(process.env.CLUSTEROPS_TEST_KUBECONFIG).toBe(inject('kubeconfig'));
  });

  it('serves every upstream CRD, clusters.cluster.x-k8s.io in v1beta2', async () => {
    const crd = await get<Crd>(http, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusters.cluster.x-k8s.io');
    expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    expect(crd.spec.versions).toContainEqual(expect.objectContaining({ name: 'v1beta2', served: true, storage: true }));

    const group = await get<{ resources: Array<{ name: string; kind: string }> }>(http, '/apis/cluster.x-k8s.io/v1beta2');
    expect(group.resources).toContainEqual(expect.objectContaining({ name: 'clusters', kind: 'Cluster' }));

    const wanted = (await readCrdDocuments(await clusterApiCrdDir(() => undefined))).map((doc) => doc.name);
    const list = await get<{ items: Array<{ metadata: { name: string }; status: { conditions: Condition[] } }> }>(
      http,
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    );
    const established = list.items
      .filter((item) => item.status.conditions.some((c) => c.type === 'Established' && c.status === 'True'))
      .map((item) => item.metadata.name);
    expect(wanted.length).toBeGreaterThan(50);
    expect(established).toEqual(expect.arrayContaining(wanted));
  });

  it('refuses an invalid Cluster with the API server message', async () => {
    const cluster = {
      apiVersion: 'cluster.x-k8s.io/v1beta2',
      kind: 'Cluster',
      metadata: { name: 'bad-topology', namespace: 'default' },
      spec: { topology: { classRef: { name: 'some-class' }, version: 42 } },
    };
    const refusal = await http
      .request({ verb: 'create', method: 'POST', path: '/apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters', body: cluster })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refusal).toBeInstanceOf(KubeError);
    const status = refusal as KubeError;
    expect(status.status).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.statusMessage).toContain('Cluster.cluster.x-k8s.io "bad-topology" is invalid');
    expect(status.statusMessage).toMatch(/spec\.topology\.version: Invalid value: "integer": spec\.topology\.version in body must be of type string/);
  });

  it('runs the controllers: the token controller and service-account controller work', async () => {
    const sa = await get<{ metadata: { name: string } }>(http, '/api/v1/namespaces/kube-system/serviceaccounts/default');
    expect(sa.metadata.name).toBe('default');
    const rootCa = await get<{ data: Record<string, string> }>(http, '/api/v1/namespaces/default/configmaps/kube-root-ca.crt');
    expect(rootCa.data['ca.crt']).toContain('BEGIN CERTIFICATE');
    const { body: review } = await http.request<{ status: { token: string } }>({
      verb: 'create',
      method: 'POST',
      path: '/api/v1/namespaces/default/serviceaccounts/default/token',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    });
    expect(review.status.token.split('.')).toHaveLength(3);
  });
});

describe('the PKI of a state dir', () => {
  it('issues the serving and client certificates the components need, keeps keys private, and reuses them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clusterops-pki-'));
    try {
      const pki = await ensurePki(dir);
      const read = async (path: string) => new X509Certificate(await readFile(path));
      const ca = await read(pki.ca.cert);
      const apiserver = await read(pki.apiserver.cert);
      expect(apiserver.verify(ca.publicKey)).toBe(true);
      for (const name of ['DNS:localhost', 'DNS:kubernetes.default.svc', 'IP Address:127.0.0.1', 'IP Address:10.0.0.1']) {
        expect(apiserver.subjectAltName?.split(', ')).toContain(name);
      }
      const admin = await read(pki.admin.cert);
      expect(admin.subject.split('\n')).toContain('O=system:masters');
      expect(admin.verify(ca.publicKey)).toBe(true);
      const etcdCa = await read(pki.etcdCa.cert);
      expect((await read(pki.apiserverEtcdClient.cert)).verify(etcdCa.publicKey)).toBe(true);
      expect((await read(pki.apiserverEtcdClient.cert)).verify(ca.publicKey)).toBe(false);

      const keys = [pki.ca.key, pki.etcdCa.key, pki.apiserver.key, pki.etcdServer.key, pki.admin.key, pki.serviceAccount.privateKey];
      for (const key of keys) expect(((await stat(key)).mode & 0o777).toString(8)).toBe('600');

      const before = await Promise.all([pki.ca.cert, pki.apiserver.cert, pki.serviceAccount.publicKey].map((path) => readFile(path, 'utf8')));
      const again = await ensurePki(dir);
      const after = await Promise.all([again.ca.cert, again.apiserver.cert, again.serviceAccount.publicKey].map((path) => readFile(path, 'utf8')));
      expect(after).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a control plane of its own', () => {
  it('stops without leaving a process, and a restart keeps its objects and identity', async () => {
    const first = await startTestControlPlane();
    const pids = Object.values(first.controlPlane.pids);
    expect(pids.every((pid) => pid > 0 && isAlive(pid))).toBe(true);
    const caBefore = await readFile(join(first.stateDir, 'pki', 'ca.crt'), 'utf8');
    await first.client.request({
      verb: 'create',
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'survivor' }, data: { answer: '42' } },
    });

    await first.stop({ keepState: true });
    expect(pids.filter(isAlive)).toEqual([]);
    const stopped = JSON.parse(await readFile(join(first.stateDir, 'state.json'), 'utf8')) as { phase: string };
    expect(stopped.phase).toBe('stopped');

    const second = await startTestControlPlane({ stateDir: first.stateDir });
    try {
      const configMap = await get<{ data: Record<string, string> }>(second.client, '/api/v1/namespaces/default/configmaps/survivor');
      expect(configMap.data).toEqual({ answer: '42' });
      expect(await readFile(join(second.stateDir, 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
    } finally {
      await second.stop();
    }
  });

  it('runs beside the shared one, with its own data', async () => {
    const shared = await adminClient(inject('kubeconfig'));
    const other = await startTestControlPlane();
    try {
      expect(other.server).not.toBe(shared.serverUrl);
      const name = `side-by-side-${Date.now()}`;
      await other.client.request({
        verb: 'create',
        method: 'POST',
        path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      });
      expect(await statusOf(other.client, `/api/v1/namespaces/${name}`)).toBe(200);
      expect(await statusOf(shared, `/api/v1/namespaces/${name}`)).toBe(404);
      // The second one has no CRDs; the shared one has.
      expect(await statusOf(other.client, '/apis/cluster.x-k8s.io/v1beta2')).toBe(404);
      expect(await statusOf(shared, '/apis/cluster.x-k8s.io/v1beta2')).toBe(200);
    } finally {
      shared.close();
      await other.stop();
    }
  });

  it('refuses a second owner for the same state dir', async () => {
    const first = await startTestControlPlane();
    try {
      await expect(startTestControlPlane({ stateDir: first.stateDir })).rejects.toThrow(/already runs a control plane/);
    } finally {
      await first.stop();
    }
  });

  it('dies with its owner: a SIGKILLed owner process leaves no etcd or kube-apiserver behind', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'clusterops-owner-'));
    const child = spawn(process.execPath, ['--import', register, join(root, 'test', 'integration', '_owner-child.ts'), stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const line = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('\n')) resolve(stdout.split('\n')[0]);
        });
        child.on('exit', (code) => reject(new Error(`owner exited with ${code} before it was ready: ${stderr}`)));
      });
      const { owner, pids } = JSON.parse(line) as { owner: number; pids: Record<string, number> };
      const children = Object.values(pids);
      expect(children).toHaveLength(3);
      expect(children.every(isAlive)).toBe(true);

      process.kill(owner, 'SIGKILL');
      await expectGone([owner, ...children], 5_000);
    } finally {
      child.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('clusterops controlplane (CLI)', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'clusterops-cli-'));
  });
  afterAll(async () => {
    await cli(['stop', '--state-dir', stateDir]);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('starts a detached control plane, reports it, and stops it leaving nothing behind', async () => {
    const start = await cli(['start', '--state-dir', stateDir, '--no-crds']);
    expect(start.stderr).toContain('kube-apiserver ready');
    expect(start.code).toBe(0);
    const kubeconfig = start.stdout.trim();
    expect(kubeconfig).toBe(join(stateDir, 'kubeconfig'));

    const http = await adminClient(kubeconfig);
    try {
      expect(await statusOf(http, '/readyz')).toBe(200);
    } finally {
      http.close();
    }

    const status = await cli(['status', '--state-dir', stateDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status: +running$/m);
    const pids = [...status.stdout.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(4); // supervisor + three components
    expect(pids.every(isAlive)).toBe(true);

    const stop = await cli(['stop', '--state-dir', stateDir]);
    expect(stop.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);

    const after = await cli(['status', '--state-dir', stateDir]);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/^status: +stopped$/m);
  });

  it('takes the components down when the supervisor is SIGKILLed', async () => {
    expect((await cli(['start', '--state-dir', stateDir, '--no-crds'])).code).toBe(0);
    const state = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as {
      owner: { pid: number };
      processes: Record<string, { pid: number }>;
    };
    const children = Object.values(state.processes).map((ref) => ref.pid);
    expect(children).toHaveLength(3);

    process.kill(state.owner.pid, 'SIGKILL');
    await expectGone([state.owner.pid, ...children], 5_000);
    expect((await cli(['status', '--state-dir', stateDir])).code).toBe(3);

    // The dead supervisor's lock does not block a new start.
    const again = await cli(['start', '--state-dir', stateDir, '--no-crds']);
    expect(again.code).toBe(0);
    expect((await cli(['status', '--state-dir', stateDir])).code).toBe(0);
  });

  it('reports a usage error for an unknown flag', async () => {
    const result = await cli(['status', '--no-such-flag']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
