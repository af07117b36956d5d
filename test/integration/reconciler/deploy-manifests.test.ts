import { randomBytes } from 'node:crypto';
import { testReconciler } from './_test-reconciler.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { deployManifestsCommand } from '../../../src/cli/commands/deploy-manifests.js';
import { KubeClient, KubeError } from '../../../src/kube/client.js';
import { Discovery, resourcePath } from '../../../src/kube/discovery.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { LeaderElector } from '../../../src/reconciler/leader-election.js';
import { StackIdentity, STACK_IDENTITY_NAME } from '../../../src/reconciler/stack-identity.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import type { KubeObject } from '../../../src/model/manifest-set.js';
import { getObject, suiteClient, suiteKubeconfig } from '../apply/_helpers.js';
import { exampleFleet, PROJECT_ROOT, projectRepo } from './_project-repo.js';

const SERVICE_ACCOUNT = 'system:serviceaccount:clusterops-system:clusterops';

/** Runs `clusterops deploy-manifests` with the given flags; resolves with stdout, stderr and the exit code. */
async function deployManifests(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  let code = 0;
  const ctx = {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    exit: (c: number) => void (code = c),
  };
  await deployManifestsCommand(ctx).exitOverride().parseAsync(args, { from: 'user' });
  return { out, err, code };
}

function objectsOf(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject).filter(Boolean);
}

async function applyObject(api: KubeClient, discovery: Discovery, obj: KubeObject, dryRun: boolean) {
  const info = await discovery.resolve(obj.apiVersion, obj.kind);
  return api.request<KubeObject>({
    verb: 'apply',
    method: 'PATCH',
    path: resourcePath(info, obj.metadata.namespace, obj.metadata.name),
    query: { fieldManager: 'clusterops-deploy-test', fieldValidation: 'Strict', force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) },
    body: obj,
    contentType: 'application/apply-patch+yaml',
  });
}

/** A copy of the suite's admin kubeconfig that impersonates the reconciler's ServiceAccount. */
function impersonatingKubeconfig(dir: string): string {
  const config = parse(readFileSync(suiteKubeconfig(), 'utf8')) as { users: Array<{ user: Record<string, unknown> }> };
  for (const u of config.users) u.user.as = SERVICE_ACCOUNT;
  const file = path.join(dir, 'impersonating.kubeconfig');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

async function status(api: KubeClient, req: Parameters<KubeClient['request']>[0]): Promise<number> {
  try {
    return (await api.request(req)).status;
  } catch (error) {
    if (error instanceof KubeError) return error.status;
    throw error;
  }
}

describe('clusterops deploy-manifests', () => {
  let admin: KubeClient;
  let discovery: Discovery;
  let objects: KubeObject[];
  const dirs: string[] = [];
  beforeAll(async () => {
    admin = await suiteClient();
    discovery = new Discovery(admin);
    const r = await deployManifests('--repo', 'https://git.example.com/platform/fleet.git', '--branch', 'main', '--image', 'registry.example.com/clusterops:0.1.0');
    expect(r.code).toBe(0);
    objects = objectsOf(r.out);
  });
  afterAll(() => {
    admin.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('writes a Namespace, ServiceAccount, RBAC, the CRD, a Deployment and a Service', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/clusterops-system',
      'CustomResourceDefinition/workloadclusters.clusterops.io',
      'ServiceAccount/clusterops',
      'ClusterRole/clusterops',
      'ClusterRoleBinding/clusterops',
      'Role/clusterops',
      'RoleBinding/clusterops',
      'Service/clusterops',
      'Deployment/clusterops',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment') as any;
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example.com/clusterops:0.1.0');
    expect(container.command).toEqual(['node', 'bin/clusterops.js']);
    expect(container.args.slice(0, 5)).toEqual(['reconcile', '--repo', 'https://git.example.com/platform/fleet.git', '--branch', 'main']);
    expect(container.args).toContain('--webhook-secret-file');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.volumes.find((v: any) => v.secret)?.secret.secretName).toBe('clusterops-webhook');
    // The repo-server split: revisions are synthesized in a container with no credential at all.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.args).toEqual(expect.arrayContaining(['--synth-socket', '/run/clusterops/synth.sock']));
    const synth = pod.containers.find((c: any) => c.name === 'synth');
    expect(synth.args.slice(0, 3)).toEqual(['synth-server', '--socket', '/run/clusterops/synth.sock']);
    const volumeOf = (name: string) => pod.volumes.find((v: any) => v.name === name);
    const synthVolumes = synth.volumeMounts.map((m: any) => volumeOf(m.name));
    expect(synthVolumes.filter((v: any) => v.secret || v.projected)).toEqual([]);
    expect(synth.volumeMounts.map((m: any) => m.mountPath)).not.toContain('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(synth.volumeMounts.map((m: any) => m.name).sort()).toEqual(['socket', 'synth-cache', 'synth-tmp']);
    expect(synth.env.map((e: any) => e.name).sort()).toEqual(['HOME', 'TMPDIR']);
    const token = container.volumeMounts.find((m: any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount');
    expect(volumeOf(token.name).projected.sources[0].serviceAccountToken.path).toBe('token');
    const service = objects.find((o) => o.kind === 'Service') as any;
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    // No Secret is ever written: the webhook secret is created by hand.
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('honours --replicas and refuses bad flags', async () => {
    const three = objectsOf((await deployManifests('--repo', 'file:///srv/fleet', '--replicas', '3')).out);
    expect((three.find((o) => o.kind === 'Deployment') as any).spec.replicas).toBe(3);
    expect((three.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0].args).not.toContain('--branch');
    await expect(deployManifests('--repo', 'file:///srv/fleet', '--replicas', '0')).rejects.toThrow(/replicas/);
    await expect(deployManifests('--repo', 'https://bot:s3cret@git.example.com/fleet.git')).rejects.toThrow(/password/);
  });

  it('is accepted by the real API server (strict field validation, dry-run)', async () => {
    await applyObject(admin, discovery, objects[0], false);
    const refused: string[] = [];
    for (const obj of objects.slice(1)) {
      try {
        const res = await applyObject(admin, discovery, obj, true);
        expect(res.body.kind).toBe(obj.kind);
      } catch (error) {
        refused.push(`${obj.kind}/${obj.metadata.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('gives the ServiceAccount enough to reconcile the example fleet, and no more', async () => {
    // The RBAC objects for real (a Deployment would only make pods nobody runs here).
    for (const obj of objects.filter((o) => !['Deployment', 'Service'].includes(o.kind))) await applyObject(admin, discovery, obj, false);
    const work = mkdtempSync(path.join(tmpdir(), 'clusterops-rbac-'));
    dirs.push(work);
    const sa = await KubeClient.fromKubeConfig(loadKubeconfig({ path: impersonatingKubeconfig(work) }), { maxRetries: 2, baseDelayMs: 50 });
    try {
      // What it must not do.
      expect(await status(sa, { verb: 'get', method: 'GET', path: '/api/v1/namespaces/kube-system/secrets' })).toBe(403);
      expect(await status(sa, { verb: 'list', method: 'GET', path: '/api/v1/secrets' })).toBe(403);
      expect(await status(sa, { verb: 'delete', method: 'DELETE', path: '/api/v1/nodes/any-node' })).toBe(403);
      expect(await status(sa, { verb: 'create', method: 'POST', path: '/api/v1/namespaces/default/pods', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } } })).toBe(403);
      expect(await status(sa, { verb: 'delete', method: 'DELETE', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles/clusterops' })).toBe(403);
      expect(await status(sa, { verb: 'delete', method: 'DELETE', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusters.cluster.x-k8s.io' })).toBe(403);
      expect(await status(sa, { verb: 'list', method: 'GET', path: '/api/v1/namespaces/kube-system/configmaps' })).toBe(403);
      // What it may: read one Secret by name (404 here, not 403).
      expect(await status(sa, { verb: 'get', method: 'GET', path: '/api/v1/namespaces/kube-system/secrets/nope-kubeconfig' })).toBe(404);

      // Leader election with that identity.
      let leading = false;
      const elector = new LeaderElector(sa, { namespace: 'clusterops-system', identity: 'rbac-test', logger: silentLogger(), retryPeriodMs: 200, onStartedLeading: () => (leading = true) });
      elector.start();
      for (let i = 0; i < 100 && !leading; i++) await new Promise((r) => setTimeout(r, 100));
      await elector.stop();
      expect(leading).toBe(true);

      // One reconcile pass of the example fleet (all three providers, real synth) as the ServiceAccount.
      const suffix = randomBytes(3).toString('hex');
      const prod = `prod-${suffix}`;
      const stag = `stag-${suffix}`;
      const repo = projectRepo(exampleFleet({ production: prod, staging: stag }));
      dirs.push(repo.dir);
      const reconciler = testReconciler(repo.url, work, sa, {}, { seedInstallations: [PROJECT_ROOT] });
      try {
        const first = await reconciler.runOnce();
        expect(first.sourceError).toBeUndefined();
        // The control plane is shared by the whole run: other tests' inventories show up as orphaned sets.
        const mine = new Set([`management.${prod}`, `management.${stag}`]);
        const mgmt = first.applied.filter((a) => mine.has(a.set));
        expect(mgmt.map((a) => a.set).sort()).toEqual([`management.${prod}`, `management.${stag}`]);
        for (const a of mgmt) expect(a.errors).toEqual([]);
        expect(mgmt.reduce((n, a) => n + a.counts.created, 0)).toBeGreaterThan(20);
        const cluster = await getObject(admin, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stag}/clusters/dev-local`);
        expect(cluster?.spec.topology.classRef.name).toBe('clusterops-docker');
        const wc = await getObject(admin, `/apis/clusterops.io/v1alpha1/namespaces/${prod}/workloadclusters/payments-eu1`);
        expect(wc?.status.revision).toBe(first.revision);
        // Add-ons wait for the kubeconfig Secret (read by name: allowed, not there yet).
        const addons = wc?.status.conditions.find((c: any) => c.type === 'AddonsReady');
        expect(addons.reason).toBe('WaitingForKubeconfig');
        expect(addons.message).not.toMatch(/forbidden/i);
        // Events were recorded with that identity.
        const events = await admin.request<{ items: Array<{ reason: string }> }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${prod}/events` });
        expect(events.body.items.some((e) => e.reason === 'Created')).toBe(true);

        // A removed cluster is pruned with that identity too.
        repo.remove(`clusters/${stag}/dev-local.yaml`);
        repo.commit('remove dev-local');
        const second = await reconciler.runOnce();
        const stagSet = second.applied.find((a) => a.set === `management.${stag}`)!;
        expect(stagSet.errors).toEqual([]);
        expect(stagSet.counts.deleted).toBeGreaterThanOrEqual(2);
        expect(await getObject(admin, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stag}/clusters/dev-local`)).toBeUndefined();
      } finally {
        reconciler.close();
      }
    } finally {
      sa.close();
    }
  });

  it('with --pulumi-identity lets the ServiceAccount grant and issue the Pulumi identity, and only that', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'clusterops-pulumi-rbac-'));
    dirs.push(work);
    const stage = `pstage-${randomBytes(3).toString('hex')}`;
    const source = loadKubeconfig({ path: impersonatingKubeconfig(work) });
    const sa = await KubeClient.fromKubeConfig(source, { maxRetries: 0, baseDelayMs: 50 });
    try {
      // Without the flag, the reconciler's rights stop it: nothing is granted.
      const plain = objectsOf((await deployManifests('--repo', 'https://example.com/fleet.git')).out);
      for (const obj of plain.filter((o) => !['Deployment', 'Service'].includes(o.kind))) await applyObject(admin, discovery, obj, false);
      await expect(new StackIdentity(sa, source, 'clusterops-system').issue([stage])).rejects.toThrow(/forbidden|403/i);
      expect(await getObject(admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${stage}/roles/${STACK_IDENTITY_NAME}`)).toBeUndefined();

      const r = await deployManifests('--repo', 'https://example.com/fleet.git', '--pulumi-identity');
      expect(r.code).toBe(0);
      const granted = objectsOf(r.out);
      for (const obj of granted.filter((o) => !['Deployment', 'Service'].includes(o.kind))) await applyObject(admin, discovery, obj, false);
      const issued = await new StackIdentity(sa, source, 'clusterops-system').issue([stage]);
      const role = await getObject(admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${stage}/roles/${STACK_IDENTITY_NAME}`);
      expect(role?.rules[0].resources).toEqual(['secrets']);

      // The issued token works for the stage's Secrets and nothing else.
      const programConfig = path.join(work, 'program.kubeconfig');
      writeFileSync(programConfig, issued.kubeconfig(), { mode: 0o600 });
      const program = await KubeClient.fromKubeConfig(loadKubeconfig({ path: programConfig }), { maxRetries: 0, baseDelayMs: 50 });
      try {
        expect(await status(program, { verb: 'list', method: 'GET', path: `/api/v1/namespaces/${stage}/secrets` })).toBe(200);
        expect(await status(program, { verb: 'list', method: 'GET', path: '/api/v1/namespaces/kube-system/secrets' })).toBe(403);
      } finally {
        program.close();
      }

      // Still nothing beyond that name: another ClusterRole cannot be escalated or bound.
      expect(
        await status(sa, {
          verb: 'create',
          method: 'POST',
          path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
          body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `escalate-${stage}` }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
        }),
      ).toBe(403);
      expect(await status(sa, { verb: 'create', method: 'POST', path: '/api/v1/namespaces/kube-system/serviceaccounts/default/token', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } })).toBe(403);
    } finally {
      sa.close();
      // Leave the reconciler's roles as the other tests of this file expect them.
      const plain = objectsOf((await deployManifests('--repo', 'https://example.com/fleet.git')).out);
      for (const obj of plain.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) await applyObject(admin, discovery, obj, false);
    }
  });
});
