import { declarationYaml } from '../../../src/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_MATERIAL_TYPE } from '../../../stacks/key-material.js';
import { clustersFolder, isWrappedSecret, runProgram, withoutSecrets, type ProgramRun, type Registration } from './_pulumi-run.js';

const SECRET_TYPE = 'kubernetes:core/v1:Secret';
/** A valid docker cluster (3 control-plane replicas, one pool of 3); `extra` adds spec fields (also invalid ones). */
const cluster = (name: string, extra: Record<string, unknown> = {}) =>
  declarationYaml(name, { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }], spec: extra });

/** production protects every cluster through its stage defaults; staging protects none. */
const FLEET = {
  'production/stage.yaml': `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: production}
spec:
  defaults: {deletionProtection: true}
`,
  'production/payments-eu1.yaml': cluster('payments-eu1'),
  'production/analytics-weu.yaml': cluster('analytics-weu'),
  'staging/payments-eu1.yaml': cluster('payments-eu1'),
};

const TOKEN = 'ghp_not-a-real-token-but-secret';
const WEBHOOK = 'webhook-shared-secret-value';
const CONFIG = {
  stages: 'production,staging',
  gitUrl: 'https://git.example.com/platform/fleet.git',
  reconcilerVersion: 'v0.1.0',
  gitToken: TOKEN,
  webhookSecret: WEBHOOK,
};
const SECRET_KEYS = ['gitToken', 'webhookSecret'];

const secrets = (run: ProgramRun) => run.registrations.filter((r) => r.type === SECRET_TYPE);
const meta = (r: Registration) => r.plain.metadata as { name: string; namespace: string; labels?: Record<string, string> };
const byName = (run: ProgramRun, name: string) => {
  const found = run.registrations.filter((r) => r.name === name);
  expect(found, `exactly one registration named ${name}`).toHaveLength(1);
  return found[0]!;
};

describe('stacks/ program (Pulumi mocks)', () => {
  let dir: string;
  let run: ProgramRun;
  beforeAll(async () => {
    dir = await clustersFolder(FLEET);
    run = await runProgram(dir, CONFIG, SECRET_KEYS);
    if (run.error) throw run.error;
  });

  it('gives every managed cluster its four Secrets, named, typed and labelled as Cluster API expects', () => {
    const identity = secrets(run).filter((r) => meta(r).namespace !== 'clusterops-system');
    const got = identity.map((r) => `${meta(r).namespace}/${meta(r).name}`).sort();
    expect(got).toEqual(
      [
        'production/analytics-weu-ca', 'production/analytics-weu-etcd', 'production/analytics-weu-proxy', 'production/analytics-weu-sa',
        'production/payments-eu1-ca', 'production/payments-eu1-etcd', 'production/payments-eu1-proxy', 'production/payments-eu1-sa',
        'staging/payments-eu1-ca', 'staging/payments-eu1-etcd', 'staging/payments-eu1-proxy', 'staging/payments-eu1-sa',
      ].sort(),
    );
    for (const r of identity) {
      const clusterName = meta(r).name.replace(/-(ca|etcd|proxy|sa)$/, '');
      expect(r.plain.type).toBe('cluster.x-k8s.io/secret');
      expect(meta(r).labels).toEqual({ 'cluster.x-k8s.io/cluster-name': clusterName });
      expect(Object.keys(r.plain.stringData as object).sort()).toEqual(['tls.crt', 'tls.key']);
    }
  });

  it('puts each CA certificate with its own key, and the service-account public key in tls.crt', () => {
    const data = (name: string) => byName(run, name).plain.stringData as Record<string, string>;
    for (const suffix of ['ca', 'etcd', 'proxy']) {
      const secret = data(`production/payments-eu1/${suffix}-secret`);
      expect(secret['tls.crt']).toBe(`-----BEGIN CERTIFICATE-----\nproduction/payments-eu1/${suffix}\n-----END CERTIFICATE-----\n`);
      expect(secret['tls.key']).toBe(`-----BEGIN RSA PRIVATE KEY-----\nproduction/payments-eu1/${suffix}\n-----END RSA PRIVATE KEY-----\n`);
      const material = byName(run, `production/payments-eu1/${suffix}`);
      expect(material.type).toBe(KEY_MATERIAL_TYPE);
      expect(material.plain).toMatchObject({ kind: 'ca' });
    }
    const subjects = ['ca', 'etcd', 'proxy'].map((s) => byName(run, `staging/payments-eu1/${s}`).plain.commonName);
    expect(subjects).toEqual(['kubernetes', 'etcd-ca', 'front-proxy-ca']);
    expect(byName(run, 'staging/payments-eu1/sa').plain).toMatchObject({ kind: 'service-account' });
    const sa = data('staging/payments-eu1/sa-secret');
    expect(sa['tls.crt']).toBe('-----BEGIN PUBLIC KEY-----\nstaging/payments-eu1/sa\n-----END PUBLIC KEY-----\n');
    expect(sa['tls.key']).toBe('-----BEGIN RSA PRIVATE KEY-----\nstaging/payments-eu1/sa\n-----END RSA PRIVATE KEY-----\n');
  });

  it('creates one Namespace per managed stage and the reconciler Secrets from config secrets', () => {
    const namespaces = run.registrations.filter((r) => r.type === 'kubernetes:core/v1:Namespace').map((r) => meta(r).name).sort();
    expect(namespaces).toEqual(['clusterops-system', 'production', 'staging']);
    expect(byName(run, 'reconciler/git-credentials').plain).toMatchObject({
      metadata: { name: 'clusterops-git-credentials', namespace: 'clusterops-system' },
      stringData: { username: 'git', password: TOKEN },
    });
    expect(byName(run, 'reconciler/webhook').plain).toMatchObject({ stringData: { secret: WEBHOOK } });
  });

  it("deploys the reconciler from the project's own cdk8s chart, following the stack's repository", () => {
    const group = byName(run, 'reconciler/workload');
    const objs = (group.plain as { objs: Array<{ kind: string; spec?: any }> }).objs;
    expect(objs.map((o) => o.kind)).not.toContain('Namespace');
    expect(objs.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceAccount', 'ClusterRole', 'Deployment', 'Service', 'CustomResourceDefinition']));
    const container = objs.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.image).toBe('clusterops:v0.1.0');
    expect(container.args.join(' ')).toContain('https://git.example.com/platform/fleet.git');
    expect(JSON.stringify(objs)).not.toContain(TOKEN);
  });

  it('sends every key and token only inside a secret envelope, and exports no key material', () => {
    expect(secrets(run)).toHaveLength(14);
    for (const r of secrets(run)) expect(isWrappedSecret(r.inputs.stringData), r.name).toBe(true);
    const readable = withoutSecrets(run.registrations.map((r) => r.inputs));
    expect(readable).not.toContain(TOKEN);
    expect(readable).not.toContain(WEBHOOK);
    expect(readable).not.toContain('PRIVATE KEY-----\nproduction');
    // The generated private keys are secret outputs of their resource, so state keeps them encrypted.
    expect(byName(run, 'production/payments-eu1/ca').additionalSecretOutputs).toEqual(['privateKeyPem']);
    expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY|BEGIN|ghp_|webhook-shared/);
    expect(run.outputs).toMatchObject({
      stages: ['production', 'staging'],
      clusters: {
        'production/payments-eu1': { namespace: 'production', secrets: ['payments-eu1-ca', 'payments-eu1-etcd', 'payments-eu1-proxy', 'payments-eu1-sa'], protected: true },
        'staging/payments-eu1': { namespace: 'staging', protected: false },
      },
    });
  });

  it("protects every identity resource of a cluster with deletionProtection, and its stage's Namespace", () => {
    const ofCluster = (prefix: string) => run.registrations.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}/`));
    const prod = ofCluster('production/payments-eu1');
    // component + 3 CAs + sa key + 4 secrets
    expect(prod).toHaveLength(9);
    for (const r of prod) expect(r.protect, `${r.type} ${r.name}`).toBe(true);
    for (const r of prod.filter((r) => r.type === SECRET_TYPE)) expect(r.retainOnDelete, r.name).toBe(true);
    const staging = ofCluster('staging/payments-eu1');
    expect(staging).toHaveLength(9);
    for (const r of staging) expect(r.protect, `${r.type} ${r.name}`).toBe(false);
    expect(byName(run, 'stage/production').protect).toBe(true);
    expect(byName(run, 'stage/staging').protect).toBe(false);
  });
});

describe('stacks/ program: stage filtering and refusals', () => {
  it('declares only the clusters and namespaces of the stages in config', async () => {
    const dir = await clustersFolder(FLEET);
    const run = await runProgram(dir, { ...CONFIG, stages: '["staging"]' }, SECRET_KEYS);
    expect(run.error).toBeUndefined();
    const names = secrets(run).map((r) => `${meta(r).namespace}/${meta(r).name}`);
    expect(names.filter((n) => !n.startsWith('clusterops-system/')).sort()).toEqual(
      ['staging/payments-eu1-ca', 'staging/payments-eu1-etcd', 'staging/payments-eu1-proxy', 'staging/payments-eu1-sa'],
    );
    expect(run.registrations.some((r) => r.name.startsWith('production/') || r.name === 'stage/production')).toBe(false);
  });

  it('fails on a stage in config that has no folder, instead of dropping its clusters', async () => {
    const dir = await clustersFolder(FLEET);
    const run = await runProgram(dir, { ...CONFIG, stages: 'prodution' }, SECRET_KEYS);
    expect(run.error?.message).toMatch(/"prodution".*no such stage folder.*production, staging/);
    expect(run.registrations.filter((r) => r.type === SECRET_TYPE)).toHaveLength(0);
  });

  it('drops the identity of a removed cluster file only from the program: the engine then meets protect', async () => {
    const { 'production/payments-eu1.yaml': _gone, ...rest } = FLEET;
    const run = await runProgram(await clustersFolder(rest), CONFIG, SECRET_KEYS);
    expect(run.error).toBeUndefined();
    expect(run.registrations.some((r) => r.name.startsWith('production/payments-eu1'))).toBe(false);
    // The stage still holds a protected cluster, so its Namespace (and every Secret in it) stays protected.
    expect(byName(run, 'stage/production').protect).toBe(true);
  });

  it('reconcilerWorkload: skipAwait annotates every workload object not to be awaited; none leaves the workload out', async () => {
    const dir = await clustersFolder(FLEET);
    const skip = await runProgram(dir, { ...CONFIG, reconcilerWorkload: 'skipAwait' }, SECRET_KEYS);
    expect(skip.error).toBeUndefined();
    const objs = (byName(skip, 'reconciler/workload').plain as { objs: Array<{ kind: string; metadata: { annotations?: Record<string, string> } }> }).objs;
    expect(objs.map((o) => o.kind)).toContain('Deployment');
    for (const o of objs) expect(o.metadata.annotations?.['pulumi.com/skipAwait'], o.kind).toBe('true');
    const none = await runProgram(dir, { ...CONFIG, reconcilerWorkload: 'none' }, SECRET_KEYS);
    expect(none.error).toBeUndefined();
    expect(none.registrations.some((r) => r.name === 'reconciler/workload')).toBe(false);
    expect(none.registrations.some((r) => r.name === 'reconciler/git-credentials')).toBe(true);
    const elsewhere = await runProgram(dir, { ...CONFIG, reconcilerNamespace: 'ops' }, SECRET_KEYS);
    expect(elsewhere.error?.message).toMatch(/reconcilerNamespace is "ops", but the reconciler's workload runs in clusterops-system/);
    const wrong = await runProgram(dir, { ...CONFIG, reconcilerWorkload: 'later' }, SECRET_KEYS);
    expect(wrong.error?.message).toBe('clusterops-management:reconcilerWorkload is "later"; it must be one of await, skipAwait, none');
  });

  it('scope: identities declares only the stage Namespaces and identity Secrets, and needs none of the reconciler settings', async () => {
    const dir = await clustersFolder(FLEET);
    const only = await runProgram(dir, { stages: 'production,staging', scope: 'identities' }, []);
    expect(only.error).toBeUndefined();
    const kinds = new Set(only.registrations.map((r) => r.type));
    expect([...kinds].sort()).toEqual(['clusterops:identity:ClusterIdentity', KEY_MATERIAL_TYPE, 'kubernetes:core/v1:Namespace', SECRET_TYPE, 'pulumi:providers:kubernetes'].sort());
    const namespaces = only.registrations.filter((r) => r.type === 'kubernetes:core/v1:Namespace').map((r) => meta(r).name);
    expect(namespaces.sort()).toEqual(['production', 'staging']);
    expect(secrets(only).every((r) => ['production', 'staging'].includes(meta(r).namespace))).toBe(true);
    expect(secrets(only)).toHaveLength(12);
    const wrong = await runProgram(dir, { stages: 'production', scope: 'some' }, []);
    expect(wrong.error?.message).toBe('clusterops-management:scope is "some"; it must be one of all, identities');
  });

  it('refuses a secret stored in plain config', async () => {
    const dir = await clustersFolder(FLEET);
    const run = await runProgram(dir, CONFIG, ['webhookSecret']);
    expect(run.error?.message).toContain('clusterops-management:gitToken is stored in plain text');
    expect(run.error?.message).not.toContain(TOKEN);
    expect(run.registrations.filter((r) => r.type === SECRET_TYPE)).toHaveLength(0);
  });

  it('refuses a token inside the git URL', async () => {
    const dir = await clustersFolder(FLEET);
    const run = await runProgram(dir, { ...CONFIG, gitUrl: `https://x-access-token:${TOKEN}@git.example.com/fleet.git` }, SECRET_KEYS);
    expect(run.error?.message).toContain('gitUrl carries a password or token');
    expect(run.error?.message).not.toContain(TOKEN);
  });

  it('fails with the loader problems, file:line first, when a declaration is invalid', async () => {
    const dir = await clustersFolder({ ...FLEET, 'staging/broken.yaml': cluster('broken', { bogus: 1 }) });
    const run = await runProgram(dir, CONFIG, SECRET_KEYS);
    expect(run.error?.message).toMatch(/problem\(s\) in .*\n.*staging\/broken\.yaml:\d+:\d+: .*bogus/);
    expect(run.registrations.filter((r) => r.type === SECRET_TYPE)).toHaveLength(0);
  });
});
