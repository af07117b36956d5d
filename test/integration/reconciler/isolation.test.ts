// One bad file never holds up the fleet, on the real control plane with this project's own synth:
// a cluster file that does not validate blocks only that cluster, a bad stage.yaml only its stage;
// everything else moves to the new revision; the blocked ones keep their objects (also across a
// reconciler restart, when nothing can be carried over) and say file:line and where they stay.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { declarationYaml } from '../../../src/testing.js';
import { runMain } from '../../_run-command.js';
import { getObject, suiteClient, suiteKubeconfig } from '../apply/_helpers.js';
import { PROJECT_ROOT, projectRepo } from './_project-repo.js';
import { testReconciler } from './_test-reconciler.js';

type Condition = { type: string; status: string; reason: string; message: string };

describe('per-cluster isolation of declarations that do not validate', () => {
  const id = randomBytes(3).toString('hex');
  const A = `iso-a-${id}`;
  const B = `iso-b-${id}`;
  const stageYaml = (name: string, extra = '  defaults: {}\n') => `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\nspec:\n${extra}`;
  const dirs: string[] = [];
  let client: KubeClient;
  let repo: ReturnType<typeof projectRepo>;
  let reconciler: Reconciler;
  const revs: string[] = [];

  const work = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'clusterops-iso-'));
    dirs.push(d);
    return d;
  };
  const wc = (stage: string, name: string) => getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name}`);
  const capiCluster = (stage: string, name: string) => getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusters/${name}`);
  const condition = (obj: any, type: string): Condition | undefined => obj?.status?.conditions?.find((c: Condition) => c.type === type);
  /** The 1-based line of the first line of `text` that contains `needle`. */
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  beforeAll(async () => {
    client = await suiteClient();
    repo = projectRepo({
      [`clusters/${A}/stage.yaml`]: stageYaml(A),
      [`clusters/${A}/a1.yaml`]: declarationYaml('a1'),
      [`clusters/${A}/a2.yaml`]: declarationYaml('a2'),
      [`clusters/${B}/stage.yaml`]: stageYaml(B),
      [`clusters/${B}/b1.yaml`]: declarationYaml('b1'),
    });
    dirs.push(repo.dir);
    reconciler = testReconciler(repo.url, work(), client, { inventoryNamespace: `inv-${id}` }, { seedInstallations: [PROJECT_ROOT] });
    const first = await reconciler.runOnce();
    expect(first.sourceError).toBeUndefined();
    revs.push(first.revision!);
  });

  afterAll(() => {
    reconciler?.close();
    client?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a cluster file that does not validate blocks only that cluster; the rest of the fleet moves on', async () => {
    const a2Before = await capiCluster(A, 'a2');
    expect(a2Before).toBeDefined();
    const broken = declarationYaml('a2', { kubernetesVersion: 'v1.34.1' }).replace('replicas: 1', 'replicas: many');
    repo.write(`clusters/${A}/a2.yaml`, broken);
    repo.write(`clusters/${A}/a1.yaml`, declarationYaml('a1', { kubernetesVersion: 'v1.34.1' }));
    repo.write(`clusters/${B}/b1.yaml`, declarationYaml('b1', { kubernetesVersion: 'v1.34.1' }));
    const rev = repo.commit('upgrade a1 and b1; a typo in a2');
    revs.push(rev);
    const pass = await reconciler.runOnce();
    expect(pass.sourceError).toBeUndefined();
    expect(pass.revision).toBe(rev);
    expect(pass.applied.filter((a) => a.errors.length > 0)).toEqual([]);

    // The others are at the new revision.
    expect((await capiCluster(A, 'a1'))?.spec.topology.version).toBe('v1.34.1');
    expect((await capiCluster(B, 'b1'))?.spec.topology.version).toBe('v1.34.1');
    expect((await wc(A, 'a1'))?.status.revision).toBe(rev);
    expect((await wc(B, 'b1'))?.status.revision).toBe(rev);

    // a2 is exactly as it was: not pruned, not changed.
    const a2 = await capiCluster(A, 'a2');
    expect(a2?.metadata.uid).toBe(a2Before!.metadata.uid);
    expect(a2?.spec.topology.version).toBe(a2Before!.spec.topology.version);
    const status = (await wc(A, 'a2'))!.status;
    const line = lineOf(broken, 'replicas: many');
    expect(status.revision).toBe(revs[0]);
    expect(status.waitingRevision).toBe(rev);
    expect(status.phase).toBe('Degraded');
    expect(status.problems[0]).toMatchObject({ file: `clusters/${A}/a2.yaml`, line, field: 'spec.controlPlane.replicas' });
    const synced = condition({ status }, 'Synced')!;
    expect(synced).toMatchObject({ status: 'False', reason: 'DeclarationInvalid' });
    expect(synced.message).toContain(`clusters/${A}/a2.yaml:${line}:`);
    expect(synced.message).toContain(`stays on revision ${revs[0].slice(0, 12)}`);
    expect(condition({ status }, 'Ready')).toMatchObject({ status: 'False', reason: 'DeclarationInvalid' });

    // `clusterops history` shows the waiting revision above the one applied, with their commits.
    const history = await runMain(['history', 'cluster', 'a2', '--stage', A, '--repo', repo.dir, '-o', 'json', '--kubeconfig', suiteKubeconfig()]);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).history.map((r: { revision: string; state: string; subject?: string }) => [r.revision, r.state, r.subject])).toEqual([
      [rev, 'waiting', 'upgrade a1 and b1; a typo in a2'],
      [revs[0], 'current', 'fleet and the code that synthesizes it'],
    ]);

    // An Event on a2 names the file and line too.
    const events = (await client.request<{ items: Array<{ involvedObject: { name: string }; message: string }> }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${A}/events` })).body.items;
    expect(events.filter((e) => e.involvedObject.name === 'a2').map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^clusters/${A}/a2\\.yaml:${line}:.*is not applied to this cluster, it stays on revision ${revs[0].slice(0, 12)}$`))]),
    );
  });

  it('a bad stage.yaml blocks only its stage: its objects stay, the other stage moves on', async () => {
    const b1Before = await capiCluster(B, 'b1');
    const stage = stageYaml(B, '  defualts: {}\n');
    repo.write(`clusters/${B}/stage.yaml`, stage);
    repo.write(`clusters/${B}/b1.yaml`, declarationYaml('b1', { kubernetesVersion: 'v1.34.2' }));
    repo.write(`clusters/${A}/a1.yaml`, declarationYaml('a1', { kubernetesVersion: 'v1.34.2' }));
    const rev = repo.commit('a typo in stage B; upgrade a1 and b1');
    revs.push(rev);
    const pass = await reconciler.runOnce();
    expect(pass.sourceError).toBeUndefined();
    expect((await capiCluster(A, 'a1'))?.spec.topology.version).toBe('v1.34.2');
    const b1 = await capiCluster(B, 'b1');
    expect(b1?.metadata.resourceVersion).toBe(b1Before!.metadata.resourceVersion);
    const status = (await wc(B, 'b1'))!.status;
    expect(status.revision).toBe(revs[1]);
    expect(status.waitingRevision).toBe(rev);
    expect(condition({ status }, 'Synced')?.message).toContain(`clusters/${B}/stage.yaml:${lineOf(stage, 'defualts')}:`);
    expect(condition({ status }, 'Synced')?.message).toContain('unknown field "defualts"');
  });

  it('after a reconciler restart (nothing to carry over) the blocked cluster and stage are still kept, and still say why', async () => {
    reconciler.close();
    reconciler = testReconciler(repo.url, work(), client, { inventoryNamespace: `inv-${id}` }, { seedInstallations: [PROJECT_ROOT] });
    const pass = await reconciler.runOnce();
    expect(pass.sourceError).toBeUndefined();
    expect(pass.applied.filter((a) => a.errors.length > 0)).toEqual([]);
    expect(await capiCluster(A, 'a2')).toBeDefined();
    expect(await capiCluster(B, 'b1')).toBeDefined();
    expect(await getObject(client, `/api/v1/namespaces/${B}`)).toBeDefined();
    const a2 = (await wc(A, 'a2'))!.status;
    expect(a2.revision).toBe(revs[0]);
    expect(condition({ status: a2 }, 'Synced')?.reason).toBe('DeclarationInvalid');
    const b1 = (await wc(B, 'b1'))!.status;
    expect(b1.revision).toBe(revs[1]);
    expect(condition({ status: b1 }, 'Synced')?.reason).toBe('DeclarationInvalid');
  });

  it('once fixed, the held cluster and stage take the newest revision, and history lists what each got', async () => {
    repo.write(`clusters/${A}/a2.yaml`, declarationYaml('a2', { kubernetesVersion: 'v1.34.2' }));
    repo.write(`clusters/${B}/stage.yaml`, stageYaml(B));
    const rev = repo.commit('fix a2 and stage B');
    revs.push(rev);
    const pass = await reconciler.runOnce();
    expect(pass.sourceError).toBeUndefined();
    expect((await capiCluster(A, 'a2'))?.spec.topology.version).toBe('v1.34.2');
    expect((await capiCluster(B, 'b1'))?.spec.topology.version).toBe('v1.34.2');
    for (const [stage, name] of [
      [A, 'a2'],
      [B, 'b1'],
    ]) {
      const status = (await wc(stage, name))!.status;
      expect(status.revision).toBe(rev);
      expect(status.waitingRevision).toBeUndefined();
      expect(status.problems).toBeUndefined();
      expect(condition({ status }, 'Synced')?.status).toBe('True');
    }
    expect((await wc(A, 'a2'))!.status.history.map((h: { revision: string }) => h.revision)).toEqual([rev, revs[0]]);
    expect((await wc(B, 'b1'))!.status.history.map((h: { revision: string }) => h.revision)).toEqual([rev, revs[1], revs[0]]);
    const table = await runMain(['history', 'cluster', 'b1', '--repo', repo.dir, '--kubeconfig', suiteKubeconfig()]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^REVISION\s+STATE\s+APPLIED\s+AUTHOR\s+SUBJECT$/);
    expect(table.stdout.split('\n')[1]).toMatch(new RegExp(`^${rev.slice(0, 12)}\\s+current\\s`));
    expect(table.stdout).toContain('fix a2 and stage B');
    const missing = await runMain(['history', 'cluster', 'nope', '--kubeconfig', suiteKubeconfig()]);
    expect(missing.code).toBe(3);
  });

  it('a suspended cluster stays on its revision and names the one that waits; resumed, it takes it', async () => {
    const before = (await wc(A, 'a1'))!.status.revision;
    const clusterBefore = await capiCluster(A, 'a1');
    const annotate = (value: string | null) =>
      client.request({
        verb: 'patch',
        method: 'PATCH',
        path: `/apis/clusterops.io/v1alpha1/namespaces/${A}/workloadclusters/a1`,
        contentType: 'application/merge-patch+json',
        body: { metadata: { annotations: { 'clusterops.io/suspend': value } } },
      });
    await annotate('true');
    repo.write(`clusters/${A}/a1.yaml`, declarationYaml('a1', { kubernetesVersion: 'v1.34.3' }));
    const rev = repo.commit('upgrade a1 while it is suspended');
    const pass = await reconciler.runOnce();
    expect(pass.revision).toBe(rev);
    expect((await capiCluster(A, 'a1'))?.spec.topology.version).toBe(clusterBefore!.spec.topology.version);
    const held = (await wc(A, 'a1'))!.status;
    expect(held.phase).toBe('Suspended');
    expect(held.revision).toBe(before);
    expect(held.waitingRevision).toBe(rev);
    // What resuming would change, worked out from the sets in memory: the upgrade, and nothing of another cluster.
    const upgrade = held.waitingChanges.find((c: { kind: string }) => c.kind === 'Cluster');
    expect(upgrade).toMatchObject({ action: 'changed', name: 'a1', where: 'management' });
    expect(upgrade.fields).toContainEqual({ path: 'spec.topology.version', from: JSON.stringify(clusterBefore!.spec.topology.version), to: '"v1.34.3"' });
    expect(held.waitingChanges.every((c: { name: string }) => c.name.startsWith('a1'))).toBe(true);
    const described = await runMain(['describe', 'cluster', 'a1', '--stage', A, '--kubeconfig', suiteKubeconfig()]);
    expect(described.stdout).toMatch(new RegExp(`Waiting revision ${rev.slice(0, 12)}`));
    expect(described.stdout).toContain(`spec.topology.version`);
    await annotate(null);
    await reconciler.runOnce();
    expect((await capiCluster(A, 'a1'))?.spec.topology.version).toBe('v1.34.3');
    const resumed = (await wc(A, 'a1'))!.status;
    expect(resumed.revision).toBe(rev);
    expect(resumed.waitingRevision).toBeUndefined();
    expect(resumed.waitingChanges).toBeUndefined();
  });

  it('a remote chart that cannot be reached holds only its cluster, on its last good revision, naming the file, line and add-on', async () => {
    const before = (await wc(B, 'b1'))!.status.revision;
    const ref = 'oci://127.0.0.1:9/charts/demo';
    const text = declarationYaml('b1', { kubernetesVersion: 'v1.34.2', spec: { addons: { demo: { chart: ref, version: '0.1.0', digest: `sha256:${'2'.repeat(64)}` } } } });
    repo.write(`clusters/${B}/b1.yaml`, text);
    repo.write(`clusters/${A}/a1.yaml`, declarationYaml('a1', { kubernetesVersion: 'v1.34.2' }));
    const rev = repo.commit('b1 gets a chart from a registry that is down');
    const pass = await reconciler.runOnce();
    expect(pass.sourceError).toBeUndefined();
    expect((await wc(A, 'a1'))!.status.revision).toBe(rev);
    const status = (await wc(B, 'b1'))!.status;
    expect(status.revision).toBe(before);
    expect(status.waitingRevision).toBe(rev);
    const synced = condition({ status }, 'Synced')!;
    expect(synced).toMatchObject({ status: 'False', reason: 'DeclarationInvalid' });
    // Pulled by the reconciler before the sandboxed synth (which has no network) and reported from the note the failed pull left.
    expect(synced.message).toMatch(new RegExp(`clusters/${B}/b1\\.yaml:${lineOf(text, 'chart:')}:\\d+: spec\\.addons\\.demo\\.chart: chart ${ref.replace(/[./]/g, '\\$&')} could not be pulled: `));
  });
});
