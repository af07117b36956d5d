/**
 * The real Pulumi engine against the real control plane: the CLI and language host of
 * tools/build-pulumi.sh, the kubernetes provider of tools/build-pulumi-kubernetes.sh (found in the
 * tools cache, ${CLUSTEROPS_CACHE_DIR:-~/.cache/clusterops}, as `clusterops preview` finds them),
 * and our KeyMaterial dynamic provider; a file backend in a temp folder, a passphrase, offline.
 *
 * Without the built engine these tests FAIL, naming the script to run; they are skipped only when
 * CLUSTEROPS_SKIP_PULUMI=1 says so, and then say so on stderr.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findPulumiEngine, missingKubernetesProvider } from '../../../src/pulumi/engine.js';
import { managementWorkspace, PulumiStackError, runManagementStack, type StackRunReport } from '../../../src/pulumi/stack-run.js';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { declarationYaml, writeFleet } from '../../../src/testing.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const skip = process.env.CLUSTEROPS_SKIP_PULUMI === '1';
if (skip) process.stderr.write('integration/pulumi: SKIPPED because CLUSTEROPS_SKIP_PULUMI=1\n');

const PASSPHRASE = 'it-passphrase-not-secret';
const SUFFIXES = ['ca', 'etcd', 'proxy', 'sa'];
const SECRET_TYPE = 'kubernetes:core/v1:Secret';
/** Unique per run, so runs against a reused cluster never share stage namespaces or stack names. */
const RUN = `p${Date.now().toString(36)}`;
const PROD = `${RUN}-prod`;
const STAGING = `${RUN}-staging`;

const cluster = (name: string) => declarationYaml(name, { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }] });
const protectedStage = (name: string) =>
  `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\nspec:\n  defaults: {deletionProtection: true}\n`;

/** The Secret creates a report plans, as `<stage>/<cluster>/<suffix>-secret`, sorted. */
const secretSteps = (r: StackRunReport, op = 'create') =>
  r.steps.filter((s) => s.type === SECRET_TYPE && s.op === op && !s.name.startsWith('reconciler/')).map((s) => s.name).sort();
const fourOf = (stage: string, name: string) => SUFFIXES.map((s) => `${stage}/${name}/${s}-secret`);

describe.skipIf(skip)('the management stack with the real Pulumi engine', () => {
  const kubeconfig = inject('kubeconfig');
  const stack = `it-${RUN}`;
  let scratch: string;
  let clusters: string;
  let backend: string;
  let client: KubeClient;
  const env = () => ({ ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
  const run = (extra: { up?: boolean; stack?: string } = {}, e = env()) =>
    runManagementStack({ projectDir: ROOT, clusters, kubeconfig, backend, stack, ...extra }, e);

  beforeAll(async () => {
    const engine = await findPulumiEngine(ROOT).catch((error: Error) => {
      throw new Error(`integration/pulumi needs the built engine: ${error.message}`);
    });
    if (!engine.hasKubernetesProvider) throw new Error(`integration/pulumi needs the built engine: ${missingKubernetesProvider(ROOT)}`);
    scratch = await mkdtemp(path.join(tmpdir(), 'clusterops-pulumi-it-'));
    backend = `file://${scratch}/state`;
    await mkdir(`${scratch}/state`);
    clusters = writeFleet({
      [`${PROD}/stage.yaml`]: protectedStage(PROD),
      [`${PROD}/payments.yaml`]: cluster('payments'),
      [`${STAGING}/web.yaml`]: cluster('web'),
    });
    const ws = await managementWorkspace({ projectDir: ROOT, clusters, kubeconfig, backend }, env());
    const { Stack } = await import('@pulumi/pulumi/automation/index.js');
    const s = await Stack.create(stack, ws);
    await s.setAllConfig({
      stages: { value: `${PROD},${STAGING}` },
      gitUrl: { value: 'https://git.example.com/platform/fleet.git' },
      reconcilerVersion: { value: 'v0.1.0' },
      // The control plane has no scheduler or kubelet: the reconciler is created, not awaited.
      reconcilerWorkload: { value: 'skipAwait' },
      gitToken: { value: 'not-a-real-token', secret: true },
      webhookSecret: { value: 'not-a-real-webhook-secret', secret: true },
    });
    client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  });

  afterAll(async () => {
    // Leave the control plane as found: the reconciler objects in clusterops-system are shared by
    // every stack, so a later run's stack would meet this one's field manager. Protected identities
    // are unprotected first (test state only), then the stack is destroyed.
    if (backend && clusters) {
      const ws = await managementWorkspace({ projectDir: ROOT, clusters, kubeconfig, backend }, env());
      const pulumi = path.join((await findPulumiEngine(ROOT)).pulumiDir, 'pulumi');
      execFileSync(pulumi, ['state', 'unprotect', '--all', '--yes', '--stack', stack], { cwd: ROOT, env: { ...process.env, ...ws.envVars }, stdio: 'ignore' });
      const { Stack } = await import('@pulumi/pulumi/automation/index.js');
      await (await Stack.select(stack, ws)).destroy({ color: 'never' });
    }
    client?.close();
    // The stack's settings file lands beside Pulumi.yaml; it belongs to this run only.
    await rm(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("preview lists each cluster's four Secrets", async () => {
    const r = await run();
    expect(secretSteps(r)).toEqual([...fourOf(PROD, 'payments'), ...fourOf(STAGING, 'web')].sort());
    expect(r.steps.filter((s) => s.op !== 'create')).toEqual([]);
    process.stderr.write(`integration/pulumi: preview of 2 clusters ${r.durationMs} ms\n`);
  });

  it("up creates them in Cluster API's format, with CAs openssl accepts as kubeadm's", async () => {
    const r = await run({ up: true });
    process.stderr.write(`integration/pulumi: up of 2 clusters ${r.durationMs} ms (${JSON.stringify(r.summary)})\n`);
    const dir = await mkdtemp(path.join(scratch, 'pem-'));
    for (const [stage, name] of [[PROD, 'payments'], [STAGING, 'web']] as const) {
      for (const suffix of SUFFIXES) {
        const { body } = await client.request<{ type: string; data: Record<string, string>; metadata: { labels: Record<string, string> } }>({
          verb: 'get',
          method: 'GET',
          path: `/api/v1/namespaces/${stage}/secrets/${name}-${suffix}`,
        });
        expect(body.type).toBe('cluster.x-k8s.io/secret');
        expect(body.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': name });
        expect(Object.keys(body.data).sort()).toEqual(['tls.crt', 'tls.key']);
        const crt = Buffer.from(body.data['tls.crt']!, 'base64').toString();
        const key = Buffer.from(body.data['tls.key']!, 'base64').toString();
        expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
        if (suffix === 'sa') {
          expect(crt).toBe(createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'pem' }));
          continue;
        }
        const file = path.join(dir, `${stage}-${name}-${suffix}.crt`);
        await writeFile(file, crt);
        const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', file], { encoding: 'utf8' });
        const cn = { ca: 'kubernetes', etcd: 'etcd-ca', proxy: 'front-proxy-ca' }[suffix];
        expect(text).toContain(`Subject: CN = ${cn}`);
        expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
        expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign/);
        expect(text).toContain('X509v3 Subject Key Identifier:');
        expect(execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' }).trim()).toBe(`${file}: OK`);
        const pub = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', file], { encoding: 'utf8' });
        expect(pub).toBe(createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'pem' }));
      }
    }
    // The state keeps every private key encrypted: no PEM key in any state file.
    const stateFiles = (await readdir(path.join(scratch, 'state'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const f of stateFiles) expect(await readFile(path.join(f.parentPath, f.name), 'utf8'), f.name).not.toContain('PRIVATE KEY');
  });

  it('a second preview shows no changes: nothing is generated again', async () => {
    const r = await run();
    // Providers included: with the stack's one explicit provider, nothing plans deleting a default
    // provider the yaml/v2 ConfigGroup's children had during up (see MANAGEMENT_PROVIDER).
    expect(r.steps.filter((s) => s.op !== 'same')).toEqual([]);
    expect(r.steps.filter((s) => s.type === 'pulumi:providers:kubernetes').map((s) => s.name)).toEqual(['management']);
    process.stderr.write(`integration/pulumi: no-op preview of 2 clusters ${r.durationMs} ms\n`);
  });

  it('a new cluster file shows exactly its four Secrets', async () => {
    await writeFile(path.join(clusters, STAGING, 'api.yaml'), cluster('api'));
    const r = await run();
    expect(secretSteps(r)).toEqual(fourOf(STAGING, 'api'));
    const others = r.steps.filter((s) => s.op !== 'same' && !s.name.startsWith(`${STAGING}/api`));
    expect(others).toEqual([]);
    await rm(path.join(clusters, STAGING, 'api.yaml'));
  });

  it("removing a protected cluster's file deletes nothing: the engine refuses, naming the protection", async () => {
    await rm(path.join(clusters, PROD, 'payments.yaml'));
    const error = await run().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PulumiStackError);
    expect((error as Error).message).toMatch(/is protected \(its cluster has deletionProtection\), so removing the cluster's file deletes nothing/);
    const { status } = await client.request({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/${PROD}/secrets/payments-ca` });
    expect(status).toBe(200);
    await writeFile(path.join(clusters, PROD, 'payments.yaml'), cluster('payments'));
  });

  it('a wrong passphrase and a missing stack give their clear errors', async () => {
    await expect(run({}, { ...process.env, PULUMI_CONFIG_PASSPHRASE: 'wrong' })).rejects.toThrow(
      "the passphrase in PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets (wrong passphrase)",
    );
    await expect(run({ stack: 'no-such-stack' })).rejects.toThrow(
      'stack "no-such-stack" does not exist in this backend; create it with: pulumi stack init no-such-stack',
    );
  });
});
