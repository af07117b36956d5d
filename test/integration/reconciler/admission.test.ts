import { randomBytes } from 'node:crypto';
import { testReconciler } from './_test-reconciler.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { declaration, fakeSynth, fleetRepo } from './_fleet-repo.js';

/** The fake synth of a hostile contributor: what it always emits, plus `extra` objects in the first management set. */
function hostileSynth(extra: object[]): string {
  const code = fakeSynth();
  const marker = 'if (failed) process.exit(1);';
  if (!code.includes(marker)) throw new Error('the fake synth changed; update hostileSynth');
  return code.replace(marker, `out.find((s) => s.id.startsWith('management.')).objects.push(...${JSON.stringify(extra)});\n${marker}`);
}

/**
 * A commit whose own synth code emits a ClusterRoleBinding making an outside user cluster-admin
 * and a ConfigMap in kube-system (and whose stage.yaml tries to admit ClusterRoleBindings): the
 * reconciler applies nothing of it, says why in status and Events, and keeps the last good revision.
 */
describe('admission of a hostile revision on a real control plane', () => {
  let client: KubeClient;
  const stage = `adm-${randomBytes(3).toString('hex')}`;
  const repo = fleetRepo(stage);
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-adm-'));
  const binding = `hostile-admin-${stage}`;
  const stolen = `hostile-${stage}`;
  let reconciler: Reconciler;

  const cm = (name: string) => getObject(client, `/api/v1/namespaces/${stage}/configmaps/cluster-${name}`);
  const wc = (name: string) => getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name}`);
  const crb = () => getObject(client, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`);
  const kubeSystemCm = () => getObject(client, `/api/v1/namespaces/kube-system/configmaps/${stolen}`);

  beforeAll(async () => {
    client = await suiteClient();
    reconciler = testReconciler(repo.url, work, client, { inventoryNamespace: `inv-${stage}` });
  });
  afterAll(async () => {
    // Should the reconciler have applied them (the test failing), leave nothing behind.
    for (const p of [`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`, `/api/v1/namespaces/kube-system/configmaps/${stolen}`]) {
      await client.request({ verb: 'delete', method: 'DELETE', path: p }).catch(() => undefined);
    }
    reconciler.close();
    client.close();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('applies neither object, names both, and keeps the last good revision applied', async () => {
    repo.write(`clusters/${stage}/a.yaml`, declaration('a'));
    const good = repo.commit('one cluster');
    expect((await reconciler.runOnce()).sourceError).toBeUndefined();
    expect((await cm('a'))?.data).toEqual({ version: 'v1.33.4' });

    repo.write(`clusters/${stage}/a.yaml`, declaration('a', { kubernetesVersion: 'v1.34.1' }));
    repo.write(
      `clusters/${stage}/stage.yaml`,
      JSON.stringify({
        apiVersion: 'clusterops.io/v1alpha1',
        kind: 'Stage',
        metadata: { name: stage },
        spec: { admission: { management: [{ group: '', kind: 'ConfigMap' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }] } },
      }),
    );
    repo.write(
      'bin/clusterops.js',
      hostileSynth([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: binding },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'outsider@attacker.example' }],
        },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: stolen, namespace: 'kube-system' }, data: { kubeconfig: 'stolen' } },
      ]),
    );
    const hostile = repo.commit('upgrade a (and take over the management cluster)');
    const r = await reconciler.runOnce();

    expect(r.revision).toBe(good);
    expect(r.sourceError).toContain(`ClusterRoleBinding ${binding}: kind not allowed in the management cluster (cluster-wide; no stage.yaml can admit it there)`);
    expect(r.sourceError).toContain(`ConfigMap kube-system/${stolen}: namespace kube-system is not stage ${stage}'s`);
    expect(r.applied.flatMap((a) => a.errors)).toEqual([]);

    // Real GETs on the real API server: neither exists, and nothing else of the revision was applied.
    expect(await crb()).toBeUndefined();
    expect(await kubeSystemCm()).toBeUndefined();
    expect((await cm('a'))?.data).toEqual({ version: 'v1.33.4' });

    const a = await wc('a');
    expect(a?.status.revision).toBe(good);
    expect(a?.status.attemptedRevision).toBe(hostile);
    expect(a?.status.lastError).toContain(`ClusterRoleBinding ${binding}`);
    expect(a?.status.lastError).toContain(`ConfigMap kube-system/${stolen}`);
    expect(a?.status.conditions.find((c: { type: string }) => c.type === 'Synced')).toMatchObject({ status: 'False', reason: 'RevisionRejected' });
    const events = (await client.request<{ items: any[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${stage}/events` })).body.items;
    const refused = events.find((e) => e.reason === 'Failed' && e.involvedObject.name === 'a' && e.message.includes(hostile.slice(0, 12)));
    expect(refused?.message).toContain(`admission refused 2 objects, nothing of this revision is applied: ClusterRoleBinding ${binding}, ConfigMap kube-system/${stolen}`);

    // Put right, the next commit applies.
    repo.write('bin/clusterops.js', fakeSynth());
    const fixed = repo.commit('back to the honest synth');
    expect((await reconciler.runOnce()).sourceError).toBeUndefined();
    expect((await cm('a'))?.data).toEqual({ version: 'v1.34.1' });
    expect((await wc('a'))?.status.revision).toBe(fixed);
    expect(await crb()).toBeUndefined();
  });
});
