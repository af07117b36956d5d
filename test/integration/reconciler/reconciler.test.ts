import { randomBytes } from 'node:crypto';
import { testReconciler } from './_test-reconciler.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../_wait-for.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { ReconcilerMetrics } from '../../../src/reconciler/metrics.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { declaration, fakeSynth, fleetRepo, stageFile } from './_fleet-repo.js';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

describe('reconciler against a real control plane and a real git repository', () => {
  let client: KubeClient;
  const stage = `rec-${randomBytes(3).toString('hex')}`;
  const repo = fleetRepo(stage);
  let reconciler: Reconciler;
  let metrics: ReconcilerMetrics;

  const cm = (name: string) => getObject(client, `/api/v1/namespaces/${stage}/configmaps/cluster-${name}`);
  const wc = (name: string) => getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name}`);
  const condition = (obj: any, type: string) => obj?.status?.conditions?.find((c: any) => c.type === type);

  beforeAll(async () => {
    client = await suiteClient();
    const work = tempDir('clusterops-rec-');
    metrics = new ReconcilerMetrics({ defaultMetrics: false });
    reconciler = testReconciler(repo.url, work, client, { metrics, inventoryNamespace: `inv-${stage}` }, { timeoutMs: 30_000 });
  });
  afterAll(() => {
    reconciler.close();
    client.close();
    repo.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  let first: string;
  it('applies a commit: objects, WorkloadCluster objects with status, metrics', async () => {
    for (const n of ['a', 'c', 'd']) repo.write(`clusters/${stage}/${n}.yaml`, declaration(n));
    repo.write(`clusters/${stage}/b.yaml`, declaration('b', { deletionProtection: true }));
    first = repo.commit('four clusters');
    const r = await reconciler.runOnce();
    expect(r.sourceError).toBeUndefined();
    expect(r.revision).toBe(first);
    const mgmt = r.applied.find((a) => a.set === `management.${stage}`)!;
    expect(mgmt.errors).toEqual([]);
    expect(mgmt.counts.created).toBe(1 + 4 + 4); // namespace, ConfigMaps, WorkloadClusters
    expect((await cm('a'))?.data).toEqual({ version: 'v1.33.4' });
    const a = await wc('a');
    expect(a?.spec.provider).toBe('docker');
    expect(a?.status.revision).toBe(first);
    // Applied, but nothing runs Cluster API here: never Ready on our word alone.
    expect(a?.status.phase).toBe('Provisioning');
    expect(condition(a, 'Synced')?.status).toBe('True');
    expect(condition(a, 'Ready')?.status).toBe('False');
    // This fleet's synth emits no Cluster API Cluster, and the condition says exactly that.
    const seen = await waitFor('ClusterAvailable to name the missing Cluster', async () => {
      const live = await wc('a');
      return condition(live, 'ClusterAvailable')?.reason === 'ClusterNotFound' ? live : undefined;
    });
    expect(condition(seen, 'ClusterAvailable')).toMatchObject({ status: 'Unknown', message: 'its Cluster does not exist' });
    expect(condition(seen, 'Ready')).toMatchObject({ status: 'False', reason: 'ClusterNotFound' });
    expect(a?.status.lastChangeSet.created).toBe(9);
    const text = (await metrics.render()).body;
    expect(text).toContain(`clusterops_applied_revision_info{stage="${stage}",cluster="a",revision="${first}"} 1`);
  });

  it('configures what a new commit changes and leaves the rest alone', async () => {
    repo.write(`clusters/${stage}/a.yaml`, declaration('a', { kubernetesVersion: 'v1.34.1' }));
    const second = repo.commit('upgrade a');
    const before = await cm('c');
    const r = await reconciler.runOnce();
    const mgmt = r.applied.find((x) => x.set === `management.${stage}`)!;
    expect(mgmt.errors).toEqual([]);
    expect(mgmt.counts.configured).toBe(2); // the ConfigMap and the WorkloadCluster of a
    expect((await cm('a'))?.data.version).toBe('v1.34.1');
    expect((await cm('c'))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect((await wc('a'))?.status.revision).toBe(second);
    expect((await wc('c'))?.status.revision).toBe(second);
  });

  it('takes a change to the revision\'s own synth code', async () => {
    repo.write('bin/clusterops.js', fakeSynth({ 'example.com/from-code': 'yes' }));
    repo.commit('label every cluster ConfigMap');
    const r = await reconciler.runOnce();
    expect(r.applied.find((x) => x.set === `management.${stage}`)?.counts.configured).toBe(4);
    expect((await cm('d'))?.metadata.labels['example.com/from-code']).toBe('yes');
  });

  it('puts a hand edit back on the next drift pass', async () => {
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/namespaces/${stage}/configmaps/cluster-c`,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
      body: { data: { version: 'hand-edited' } },
    });
    expect((await cm('c'))?.data.version).toBe('hand-edited');
    const r = await reconciler.runOnce();
    expect(r.applied.find((x) => x.set === `management.${stage}`)?.counts.configured).toBe(1);
    expect((await cm('c'))?.data.version).toBe('v1.33.4');
    expect((await metrics.render()).body).toContain(`clusterops_drift_corrections_total{set="management.${stage}"} 1`);
  });

  it('keeps the last good revision applied when a commit does not validate, with the error in status', async () => {
    const good = reconciler.progress().revision;
    repo.write(`clusters/${stage}/c.yaml`, declaration('c', { provider: 'aws', kubernetesVersion: 'v9.9.9' }));
    const bad = repo.commit('break c');
    const r = await reconciler.runOnce();
    expect(r.revision).toBe(good);
    expect(r.sourceError).toContain(`clusters/${stage}/c.yaml:1: spec.provider`);
    expect((await cm('c'))?.data.version).toBe('v1.33.4');
    const c = await wc('c');
    expect(c?.status.revision).toBe(good);
    expect(c?.status.attemptedRevision).toBe(bad);
    expect(c?.status.lastError).toContain('spec.provider: must be docker here');
    expect(condition(c, 'Synced')).toMatchObject({ status: 'False', reason: 'RevisionRejected' });
    expect(c?.status.phase).toBe('Degraded');
    // Fixing it recovers.
    repo.write(`clusters/${stage}/c.yaml`, declaration('c'));
    const fixed = repo.commit('fix c');
    await reconciler.runOnce();
    const c2 = await wc('c');
    expect(c2?.status.revision).toBe(fixed);
    expect(c2?.status.lastError).toBeUndefined();
    expect(condition(c2, 'Synced')?.status).toBe('True');
  });

  it('prunes the objects of a removed file, keeps a protected one and reports it', async () => {
    repo.remove(`clusters/${stage}/a.yaml`);
    repo.remove(`clusters/${stage}/b.yaml`);
    repo.commit('remove a and b');
    const r = await reconciler.runOnce();
    const mgmt = r.applied.find((x) => x.set === `management.${stage}`)!;
    expect(mgmt.errors).toEqual([]);
    expect(mgmt.counts.deleted).toBe(2); // ConfigMap a, WorkloadCluster a
    expect(mgmt.counts.skipped).toBe(2); // ConfigMap b and WorkloadCluster b: deletion protection
    expect(await cm('a')).toBeUndefined();
    expect(await cm('b')).toBeDefined();
    expect(await wc('a')).toBeUndefined();
    // The protected cluster stays listed: its mirror is kept with it, and says its declaration is gone.
    const b = await wc('b');
    expect(b?.status.phase).toBe('Removed');
    expect(condition(b, 'Ready')).toMatchObject({ status: 'False', reason: 'DeclarationRemoved' });
    expect(condition(b, 'Ready').message).toContain('deletion protection');
    const events = (await client.request<{ items: any[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${stage}/events` })).body.items;
    const skipped = events.find((e) => e.reason === 'Skipped' && e.involvedObject.name === 'cluster-b');
    expect(skipped?.message).toContain('deletion protection');
    expect(events.some((e) => (e.reason === 'Created' || e.reason === 'Configured') && e.involvedObject.kind === 'WorkloadCluster')).toBe(true);
  });

  it('a stage removed whole without --allow-mass-prune: nothing deleted, its clusters say Removed with the refusal', async () => {
    repo.git('rm', '-r', '--quiet', `clusters/${stage}`);
    repo.write(`clusters/${stage}-next/e.yaml`, declaration('e'));
    repo.write(`clusters/${stage}-next/stage.yaml`, stageFile(`${stage}-next`));
    repo.commit('move the stage');
    const r = await reconciler.runOnce();
    const orphan = r.applied.find((x) => x.set === `management.${stage}`)!;
    expect(orphan.errors.join('\n')).toMatch(/mass prune|--allow-mass-prune/i);
    expect(await cm('c')).toBeDefined();
    const c = await wc('c');
    expect(c?.status.phase).toBe('Removed');
    expect(condition(c, 'Ready').message).toMatch(/prune of stage .* not done: .*allow-mass-prune/);
  });
});
