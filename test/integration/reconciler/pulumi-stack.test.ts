/**
 * `clusterops reconcile --pulumi-stack`: a real reconciler process, a real git repository holding
 * this project's code (stacks/ included) and the stack's settings, the real Pulumi engine (file
 * backend in a temp folder, a passphrase file) against the integration control plane.
 *
 * Without the built engine these tests FAIL, naming the script to run; CLUSTEROPS_SKIP_PULUMI=1
 * skips them on purpose (and says so on stderr).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { findPulumiEngine, missingKubernetesProvider } from '../../../src/pulumi/engine.js';
import { waitFor } from '../_wait-for.js';
import { dockerCluster, PROJECT_ROOT, projectRepo } from './_project-repo.js';

const skip = process.env.CLUSTEROPS_SKIP_PULUMI === '1';
if (skip) process.stderr.write('integration/reconciler/pulumi-stack: SKIPPED because CLUSTEROPS_SKIP_PULUMI=1\n');

const REGISTER = path.join(PROJECT_ROOT, 'test', 'integration', '_ts-register.mjs');
const CHILD = path.join(PROJECT_ROOT, 'test', 'integration', 'reconciler', '_pulumi-reconcile-child.ts');
const RUN = Date.now().toString(36);
const STAGE = `ps${RUN}`;
const STACK = `reconciler-${RUN}`;
const PASSPHRASE = `it-passphrase-${RUN}-not-secret`;
const SUFFIXES = ['ca', 'etcd', 'proxy', 'sa'];

interface WorkloadClusterObject {
  status?: {
    revision?: string;
    attemptedRevision?: string;
    lastError?: string;
    stack?: { name: string; result: string; revision: string; durationMs: number; lastUpRevision?: string; changes?: Record<string, number> };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

/** Every file of this project's stacks/ folder, as repository paths. */
function stacksFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(path.join(PROJECT_ROOT, 'stacks'))) files[`stacks/${f}`] = readFileSync(path.join(PROJECT_ROOT, 'stacks', f), 'utf8');
  return files;
}

describe.skipIf(skip)('reconcile --pulumi-stack with the real Pulumi engine', () => {
  const kubeconfig = inject('kubeconfig');
  let work: string;
  let client: KubeClient;
  let child: ChildProcess | undefined;
  let log = '';
  let metricsUrl = '';
  const watches = new AbortController();
  /** ADDED events in the stage namespace, in the order seen, with the resourceVersion they were created at. */
  const added: Array<{ kind: string; name: string; rv: bigint }> = [];
  let repo: ReturnType<typeof projectRepo>;
  let r1 = '';
  let r2 = '';

  const workloadCluster = async (name: string) =>
    (await client.request<WorkloadClusterObject>({ verb: 'get', method: 'GET', path: `/apis/clusterops.io/v1alpha1/namespaces/${STAGE}/workloadclusters/${name}` })).body;
  const exists = async (p: string) => (await client.request({ verb: 'get', method: 'GET', path: p }).then(() => true, () => false));
  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();
  const metric = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  /**
   * Records ADDED events of one kind in the stage namespace (a watch from now on). A watch the API
   * server or the client ends is started again; a new watch sends the objects that exist as ADDED
   * with their own resourceVersions, so nothing is missed and the order checks still hold.
   */
  const watch = (kind: string, apiPath: string) => {
    void (async () => {
      while (!watches.signal.aborted) {
        let buffer = '';
        await client
          .stream({ verb: 'watch', method: 'GET', path: apiPath, query: { watch: '1', allowWatchBookmarks: 'false' } }, (chunk) => {
            buffer += chunk.toString('utf8');
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (!line.trim()) continue;
              const e = JSON.parse(line) as { type: string; object: { metadata: { name: string; resourceVersion: string } } };
              if (e.type === 'ADDED' && !added.some((a) => a.kind === kind && a.name === e.object.metadata.name)) {
                added.push({ kind, name: e.object.metadata.name, rv: BigInt(e.object.metadata.resourceVersion) });
              }
            }
          }, watches.signal)
          .catch(() => new Promise((resolve) => setTimeout(resolve, 500)));
      }
    })();
  };

  beforeAll(async () => {
    const engine = await findPulumiEngine(PROJECT_ROOT).catch((error: Error) => {
      throw new Error(`integration/reconciler/pulumi-stack needs the built engine: ${error.message}`);
    });
    if (!engine.hasKubernetesProvider) throw new Error(`integration/reconciler/pulumi-stack needs the built engine: ${missingKubernetesProvider(PROJECT_ROOT)}`);
    work = mkdtempSync(path.join(tmpdir(), 'clusterops-pulumi-reconcile-'));
    const backend = path.join(work, 'state');
    mkdirSync(backend);
    writeFileSync(path.join(work, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });

    // The operator's one-time step: create the stack; its settings file is committed with the fleet.
    const init = path.join(work, 'init');
    mkdirSync(init);
    copyFileSync(path.join(PROJECT_ROOT, 'Pulumi.yaml'), path.join(init, 'Pulumi.yaml'));
    const { LocalWorkspace, PulumiCommand, Stack } = await import('@pulumi/pulumi/automation/index.js');
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(engine.pulumiDir), skipVersionCheck: true });
    const ws = await LocalWorkspace.create({
      workDir: init,
      pulumiCommand,
      envVars: { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_HOME: engine.pulumiHome!, PULUMI_SKIP_UPDATE_CHECK: 'true' },
    });
    const stack = await Stack.create(STACK, ws);
    await stack.setAllConfig({ stages: { value: STAGE }, scope: { value: 'identities' } });

    repo = projectRepo({
      'Pulumi.yaml': readFileSync(path.join(PROJECT_ROOT, 'Pulumi.yaml'), 'utf8'),
      [`Pulumi.${STACK}.yaml`]: readFileSync(path.join(init, `Pulumi.${STACK}.yaml`), 'utf8'),
      ...stacksFiles(),
      [`clusters/${STAGE}/alpha.yaml`]: dockerCluster('alpha'),
    });
    r1 = repo.commit('stack settings and a first cluster');

    client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
    watch('Secret', `/api/v1/namespaces/${STAGE}/secrets`);
    watch('Cluster', `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters`);

    const flags = {
      repo: repo.url, branch: 'main', kubeconfig, cacheDir: path.join(work, 'cache'), leaderElect: false, listen: '127.0.0.1:0',
      interval: '1s', concurrency: '4', pulumiStack: STACK, pulumiBackend: `file://${backend}`, pulumiPassphraseFile: path.join(work, 'passphrase'),
    };
    child = spawn(process.execPath, ['--import', REGISTER, CHILD, JSON.stringify(flags)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    metricsUrl = await waitFor('the reconciler to listen', async () => /"listen":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)?.[1], 60_000);
  });

  afterAll(async () => {
    watches.abort();
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (client) {
      for (const p of [
        `/api/v1/namespaces/${STAGE}`,
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/clusterops-pulumi',
        '/apis/rbac.authorization.k8s.io/v1/clusterroles/clusterops-pulumi',
      ]) {
        await client.request({ verb: 'delete', method: 'DELETE', path: p }).catch(() => undefined);
      }
      client.close();
    }
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("a commit that adds a cluster: its four identity Secrets exist before its Cluster is applied", async () => {
    const wc = await waitFor(
      'alpha applied at the first revision, after pulumi up',
      async () => {
        const w = await workloadCluster('alpha').catch(() => undefined);
        return w?.status?.revision === r1 && w.status.stack?.result === 'succeeded' ? w : undefined;
      },
      480_000,
    );
    expect(wc.status!.stack).toMatchObject({ name: STACK, result: 'succeeded', revision: r1 });
    expect(wc.status!.stack!.durationMs).toBeGreaterThan(0);
    const cluster = await waitFor('the ADDED event of Cluster alpha', async () => added.find((a) => a.kind === 'Cluster' && a.name === 'alpha'));
    const secrets = SUFFIXES.map((s) => added.find((a) => a.kind === 'Secret' && a.name === `alpha-${s}`));
    expect(secrets.every((s) => s !== undefined), JSON.stringify(added.map((a) => a.name))).toBe(true);
    // resourceVersions of one etcd are one sequence: each Secret was created before the Cluster.
    for (const s of secrets) expect(s!.rv < cluster.rv, `${s!.name} (rv ${s!.rv}) before Cluster alpha (rv ${cluster.rv})`).toBe(true);
    const m = await metrics();
    expect(metric(m, 'clusterops_pulumi_ups_total', 'result="succeeded"')).toBe(1);
    expect(metric(m, 'clusterops_pulumi_up_duration_seconds_count', 'result="succeeded"')).toBe(1);
  }, 600_000);

  it('a revision that changes neither stacks/, clusters/ nor the stack settings runs no up', async () => {
    repo.write('README.md', 'a change outside the stack inputs\n');
    r2 = repo.commit('docs only');
    const wc = await waitFor('alpha at the second revision', async () => {
      const w = await workloadCluster('alpha').catch(() => undefined);
      return w?.status?.revision === r2 ? w : undefined;
    });
    expect(wc.status!.stack).toMatchObject({ result: 'unchanged', revision: r2, lastUpRevision: r1, durationMs: 0 });
    const m = await metrics();
    expect(metric(m, 'clusterops_pulumi_ups_total', 'result="succeeded"')).toBe(1);
    expect(metric(m, 'clusterops_pulumi_ups_total', 'result="unchanged"')).toBe(1);
  }, 300_000);

  it("a program that reaches outside its identity's rights fails the up, and nothing of that revision is applied", async () => {
    // The revision's own program tries the reconciler's kubeconfig file (not in its sandbox) and
    // declares a ConfigMap in kube-system, which its identity may not write; the same commit adds a cluster.
    // It also tries the API server's address directly: its sandbox has no network but the forwarder.
    const api = new URL(loadKubeconfig({ path: kubeconfig }).getCurrentCluster()!.server);
    const hostile =
      `import * as k8s from '@pulumi/kubernetes';\nimport { existsSync } from 'node:fs';\nimport net from 'node:net';\n` +
      `const reach = existsSync(${JSON.stringify(kubeconfig)}) ? 'readable' : 'unreachable';\n` +
      `const direct = await new Promise<string>((resolve) => { const s = net.connect(${Number(api.port)}, ${JSON.stringify(api.hostname)}); ` +
      `s.once('connect', () => { s.destroy(); resolve('connected'); }); s.once('error', () => resolve('nonet')); setTimeout(() => resolve('nonet'), 5000); });\n` +
      `new k8s.core.v1.ConfigMap('hostile', { metadata: { name: 'hostile-' + reach + '-' + direct, namespace: 'kube-system' }, data: { a: 'b' } });\n`;
    repo.write('stacks/index.ts', `${readFileSync(path.join(PROJECT_ROOT, 'stacks', 'index.ts'), 'utf8')}\n${hostile}`);
    repo.write(`clusters/${STAGE}/gamma.yaml`, dockerCluster('gamma'));
    const r3 = repo.commit('a hostile program and a new cluster');
    const wc = await waitFor(
      'alpha to report the failed up',
      async () => {
        const w = await workloadCluster('alpha').catch(() => undefined);
        return w?.status?.attemptedRevision === r3 && w.status.stack?.result === 'failed' ? w : undefined;
      },
      480_000,
    );
    const synced = wc.status!.conditions!.find((c) => c.type === 'Synced')!;
    expect(synced).toMatchObject({ status: 'False', reason: 'StackUpFailed' });
    expect(synced.message).toContain(`revision ${r3.slice(0, 12)} rejected: pulumi up of stack ${STACK} failed`);
    expect(synced.message).toMatch(/forbidden/);
    expect(synced.message).toContain('system:serviceaccount:clusterops-system:clusterops-pulumi');
    expect(synced.message).toContain('hostile-unreachable-nonet');
    // The last good revision stays applied; the cluster of the failed revision is not.
    expect(wc.status!.revision).toBe(r2);
    expect(await exists(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/gamma`)).toBe(false);
    for (const name of ['hostile-unreachable-nonet', 'hostile-readable-nonet', 'hostile-unreachable-connected', 'hostile-readable-connected']) {
      expect(await exists(`/api/v1/namespaces/kube-system/configmaps/${name}`)).toBe(false);
    }
    expect(metric(await metrics(), 'clusterops_pulumi_ups_total', 'result="failed"')).toBeGreaterThanOrEqual(1);
    expect(log).not.toContain(PASSPHRASE);
  }, 600_000);
});
