/**
 * `clusterops rebuild` where it must refuse, against the run's real control plane and the real
 * Pulumi engine (file backend): a backend without the stack, a declared cluster whose identity is
 * not in the state (nothing changed), and a second rebuild while one holds the lock (exit 4). The
 * whole rebuild, adopting a running fleet, is the drill's test (drill.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rebuildCommand } from '../../../src/cli/commands/rebuild.js';
import { KubeClient, KubeError } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { findPulumiEngine } from '../../../src/pulumi/engine.js';
import { initStack, managementWorkspace, runManagementStack, stackResources } from '../../../src/pulumi/stack-run.js';
import { REBUILD_LEASE } from '../../../src/model/rebuild-lease.js';
import { acquireRebuildLock, RebuildLockedError } from '../../../src/recovery/rebuild-lock.js';
import { declarationYaml } from '../../../src/testing.js';
import { runCommand } from '../../_run-command.js';
import { TestRepo } from '../../unit/reconciler/_git-repo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUN = `r${randomBytes(3).toString('hex')}`;
const STAGE = `${RUN}-prod`;
const PASSPHRASE = 'it-passphrase-not-secret';

describe('rebuild refuses', () => {
  const kubeconfig = inject('kubeconfig');
  const stack = `it-${RUN}`;
  let scratch: string;
  let backend: string;
  let repo: TestRepo;
  let client: KubeClient;
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
  const rebuildArgs = (extra: string[] = []) => ['--repo', repo.url, '--stack', stack, '--backend', backend, '--kubeconfig', kubeconfig, '--project-dir', ROOT, ...extra];
  const rebuildWithEnv = async (args: string[]) => {
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
    process.env.PULUMI_CONFIG_PASSPHRASE = PASSPHRASE;
    try {
      return await runCommand(rebuildCommand, args);
    } finally {
      if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
      else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    }
  };
  const exists = async (p: string) =>
    client.request({ verb: 'get', method: 'GET', path: p }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof KubeError && error.status === 404) return false;
        throw error;
      },
    );

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'clusterops-rebuild-it-'));
    backend = `file://${scratch}`;
    repo = new TestRepo();
    repo.write(`clusters/${STAGE}/alpha.yaml`, declarationYaml('alpha', { nodePools: [{ name: 'general', replicas: 1 }] }));
    repo.write(`clusters/${STAGE}/keep.yaml`, declarationYaml('keep', { deletionProtection: true }));
    repo.commit('alpha, and keep (protected)');
    const clusters = path.join(repo.dir, 'clusters');
    await initStack({ projectDir: ROOT, clusters, kubeconfig, backend, stack }, { stages: { value: STAGE }, scope: { value: 'identities' } }, env);
    await runManagementStack({ projectDir: ROOT, clusters, kubeconfig, backend, stack, up: true }, env);
    client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  }, 300_000);

  afterAll(async () => {
    if (backend && repo) {
      const ws = await managementWorkspace({ projectDir: ROOT, clusters: path.join(repo.dir, 'clusters'), kubeconfig, backend }, env).catch(() => undefined);
      const { Stack } = await import('@pulumi/pulumi/automation/index.js');
      if (ws) {
        // Test state only: the protected identity is unprotected so the stack can be destroyed.
        const pulumi = path.join((await findPulumiEngine(ROOT)).pulumiDir, 'pulumi');
        execFileSync(pulumi, ['state', 'unprotect', '--all', '--yes', '--stack', stack], { cwd: ROOT, env: { ...process.env, ...ws.envVars }, stdio: 'ignore' });
        await (await Stack.select(stack, ws)).destroy({ color: 'never' }).catch(() => undefined);
      }
    }
    client?.close();
    await rm(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
    repo?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 300_000);

  it('a backend without the stack: nothing to rebuild from', async () => {
    const run = await rebuildWithEnv(['--repo', repo.url, '--stack', `${stack}-none`, '--backend', backend, '--kubeconfig', kubeconfig, '--project-dir', ROOT]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`has no stack ${stack}-none: there is no identity to rebuild from`);
  });

  it('a declared cluster whose identity is not in the state: refused, and nothing changed', async () => {
    repo.write(`clusters/${STAGE}/beta.yaml`, declarationYaml('beta', { nodePools: [{ name: 'general', replicas: 1 }] }));
    const sha = repo.commit('beta, never brought up with its identity');
    try {
      const run = await rebuildWithEnv(rebuildArgs());
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(`rebuild stopped at "identities in state": the identity of ${STAGE}/beta is not in stack ${stack}`);
      expect(run.stderr).toContain(`--allow-new-identity ${STAGE}/beta`);
      // Read-only up to the refusal: no Cluster, no beta Secret, no lock left behind.
      expect(await exists(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/alpha`)).toBe(false);
      expect(await exists(`/api/v1/namespaces/${STAGE}/secrets/beta-ca`)).toBe(false);
      expect(await exists(`/apis/coordination.k8s.io/v1/namespaces/${REBUILD_LEASE.namespace}/leases/${REBUILD_LEASE.name}`)).toBe(false);
    } finally {
      repo.remove(`clusters/${STAGE}/beta.yaml`);
      repo.commit(`drop beta after ${sha.slice(0, 7)}`);
    }
  }, 300_000);

  it('two rebuilds at once: the second refuses with exit 4 naming the holder; a stale lock of a gone process is taken over', async () => {
    const held = await acquireRebuildLock(client, { holder: 'elsewhere/1' });
    try {
      await expect(acquireRebuildLock(client)).rejects.toBeInstanceOf(RebuildLockedError);
      const run = await rebuildWithEnv(rebuildArgs());
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toContain('rebuild stopped at "lock": another rebuild is running: Lease kube-system/clusterops-rebuild is held by elsewhere/1');
      expect(await exists(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/alpha`)).toBe(false);
    } finally {
      await held.release();
    }
    // A rebuild killed half-way on this host (its pid gone) does not make the next one wait.
    const { hostname } = await import('node:os');
    const dead = await acquireRebuildLock(client, { holder: `${hostname()}/999999999` });
    const next = await acquireRebuildLock(client);
    expect(next.holder).toBe(`${hostname()}/${process.pid}`);
    await next.release();
    await dead.release();
    expect(await exists(`/apis/coordination.k8s.io/v1/namespaces/${REBUILD_LEASE.namespace}/leases/${REBUILD_LEASE.name}`)).toBe(false);
  }, 300_000);

  it("a branch head that deleted a protected cluster's file: its identity is kept and reported, what the lost cluster held of the rest comes back from state", async () => {
    const secret = (name: string) => client.request<{ data: Record<string, string> }>({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/${STAGE}/secrets/${name}` });
    const caBefore = (await secret('alpha-ca')).body.data['tls.crt'];
    // What a lost management cluster no longer has: alpha's CA Secret.
    await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${STAGE}/secrets/alpha-ca` });
    repo.remove(`clusters/${STAGE}/keep.yaml`);
    repo.commit('keep: file deleted');
    // No Cluster API runs on this control plane: the rebuild gets as far as waiting for the providers to adopt.
    const run = await rebuildWithEnv(rebuildArgs(['--timeout', '2s']));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`rebuild: ${STAGE}/keep has an identity in the state but no file at`);
    expect(run.stderr).toMatch(/rebuild \[5\/10\] pulumi up --refresh: done in/);
    expect(run.stderr).toMatch(/rebuild \[7\/10\] apply paused: done in .*1 Clusters paused/);
    expect(run.stderr).toContain('rebuild stopped at "adopted": not every Cluster was adopted in time');
    // alpha's CA came back from the state, the same certificate; keep's identity is still in the state and its Secret untouched.
    expect((await secret('alpha-ca')).body.data['tls.crt']).toBe(caBefore);
    expect(await exists(`/api/v1/namespaces/${STAGE}/secrets/keep-ca`)).toBe(true);
    const state = await stackResources({ projectDir: ROOT, clusters: path.join(repo.dir, 'clusters'), backend, stack }, env);
    expect(state!.filter((r) => r.name.startsWith(`${STAGE}/keep/`) && r.type.endsWith(':KeyMaterial')).map((r) => r.name).sort()).toEqual(
      ['ca', 'etcd', 'proxy', 'sa'].map((p) => `${STAGE}/keep/${p}`),
    );
    // Unpaused as declared: nothing of Cluster API's pause is left behind.
    const cluster = await client.request<{ spec: { paused?: boolean } }>({ verb: 'get', method: 'GET', path: `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/alpha` });
    expect(cluster.body.spec.paused ?? false).toBe(false);
  }, 300_000);
});
