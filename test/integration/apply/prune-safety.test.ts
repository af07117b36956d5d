// What prune must never take down, on the real API server with the real Cluster API CRDs: a
// protected Cluster through its stage Namespace (the API server would cascade the delete), and what
// a kept Cluster stands on (its ClusterClass, the class's templates, its WorkloadCluster mirror).
import { rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadClusterCrd } from '../../../src/charts/workload-cluster-crd.js';
import { applyCommand } from '../../../src/cli/commands/apply.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { ADDON_LABEL, managementSetId } from '../../../src/model/manifest-set.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { declarationYaml, fleetOf, workloadCluster, writeFleet } from '../../../src/testing.js';
import { runCommand } from '../../_run-command.js';
import { getObject, manager, suiteClient, suiteKubeconfig, unique, widgetCrd } from './_helpers.js';

type Entry = { action: string; kind: string; namespace: string; name: string; reason?: string };

const clusterPath = (ns: string, name: string) => `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/clusters/${name}`;
const mirrorPath = (ns: string, name: string) => `/apis/clusterops.io/v1alpha1/namespaces/${ns}/workloadclusters/${name}`;

describe('prune keeps what a protected cluster needs', () => {
  let client: KubeClient;
  const dirs: string[] = [];
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => {
    client.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a stage removed whole keeps its Namespace while a protected Cluster is in it, and says why', async () => {
    const stage = unique('gone');
    const fleet = fleetOf([
      workloadCluster('keep', { stage, provider: 'docker', spec: { deletionProtection: true } }),
      workloadCluster('drop', { stage, provider: 'docker' }),
    ]);
    const [set] = synthFleet(fleet).filter((s) => s.id === managementSetId(stage));
    const rm = manager(client, { prerequisiteCrds: [workloadClusterCrd()] });
    const applied = await rm.apply(set);
    expect(applied.errors).toEqual([]);
    expect(await getObject(client, clusterPath(stage, 'keep'))).toBeDefined();

    // The stage folder is deleted: its set is applied empty, as the reconciler does for an orphaned stage.
    const cs = await rm.apply({ ...set, objects: [] }, { prune: true, allowMassPrune: true });
    expect(cs.errors).toEqual([]);
    const entry = (kind: string, name: string) => cs.entries.find((e) => e.kind === kind && e.name === name);
    expect(entry('Namespace', stage)?.action).toBe('skipped');
    expect(entry('Namespace', stage)?.reason).toMatch(/still holds .*Cluster\/.*\/keep/);
    expect(entry('Cluster', 'keep')).toMatchObject({ action: 'skipped', reason: 'deletion protection' });
    expect(entry('Cluster', 'drop')?.action).toBe('deleted');
    // What the protected Cluster stands on stays too: its class and the class's templates.
    expect(entry('ClusterClass', 'clusterops-docker')?.action).toBe('skipped');
    expect(await getObject(client, `/api/v1/namespaces/${stage}`)).toBeDefined();
    expect(await getObject(client, clusterPath(stage, 'keep'))).toBeDefined();
    expect(await getObject(client, mirrorPath(stage, 'keep'))).toBeDefined();
    expect(await getObject(client, clusterPath(stage, 'drop'))).toBeUndefined();
  });

  it('removing the only protected aws cluster of a stage keeps its ClusterClass, the five templates and its mirror, exit 0', async () => {
    const stage = unique('class');
    const dir = writeFleet({
      [`${stage}/payments.yaml`]: declarationYaml('payments', { provider: 'aws', deletionProtection: true }),
      [`${stage}/tools.yaml`]: declarationYaml('tools', { provider: 'docker' }),
    });
    dirs.push(dir);
    const args = ['--clusters', dir, '--kubeconfig', suiteKubeconfig(), '-o', 'json'];
    const first = await runCommand(applyCommand, args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    unlinkSync(path.join(dir, stage, 'payments.yaml'));
    const pruned = await runCommand(applyCommand, [...args, '--prune', '--allow-mass-prune']);
    expect(pruned.code).toBe(0);
    const entries = (JSON.parse(pruned.stdout) as { entries: Entry[] }).entries;
    const skipped = entries.filter((e) => e.action === 'skipped');
    const deleted = entries.filter((e) => e.action === 'deleted');
    expect(deleted).toEqual([]);
    expect(skipped.find((e) => e.kind === 'Cluster')).toMatchObject({ name: 'payments', reason: 'deletion protection' });
    expect(skipped.find((e) => e.kind === 'ClusterClass')).toMatchObject({ name: 'clusterops-aws', reason: 'Cluster/' + stage + '/payments is kept and uses it' });
    const templates = skipped.filter((e) => e.kind.endsWith('Template'));
    expect(templates).toHaveLength(5);
    for (const t of templates) expect(t.reason).toBe(`ClusterClass/${stage}/clusterops-aws is kept and uses it`);
    expect(skipped.find((e) => e.kind === 'WorkloadCluster')?.name).toBe('payments');
    expect(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stage}/clusterclasses/clusterops-aws`)).toBeDefined();
    expect(await getObject(client, mirrorPath(stage, 'payments'))).toBeDefined();

    // Lifting the protection lets the next prune take the cluster and everything it stood on.
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: clusterPath(stage, 'payments'),
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'clusterops.io/deletion-protection': null } } },
    });
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: mirrorPath(stage, 'payments'),
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'clusterops.io/deletion-protection': null } } },
    });
    const after = await runCommand(applyCommand, [...args, '--prune', '--allow-mass-prune']);
    expect(after.code).toBe(0);
    const gone = (JSON.parse(after.stdout) as { entries: Entry[] }).entries.filter((e) => e.action === 'deleted').map((e) => e.kind);
    expect(gone.sort()).toEqual(['Cluster', 'ClusterClass', 'WorkloadCluster', ...templates.map((t) => t.kind)].sort());
  });

  it('keeps a CustomResourceDefinition while objects of its kind exist outside the prune, deletes it with its last one', async () => {
    const group = `${unique('w')}.test.clusterops.io`;
    const crd = widgetCrd(group);
    const ns = unique('crd');
    const widget = (name: string) => ({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name, namespace: ns } });
    const nsObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    const rm = manager(client);
    const id = `test.${ns}`;
    const set = (objects: any[]) => ({ id, target: { kind: 'management' as const, stage: ns }, objects });
    expect((await rm.apply(set([nsObject, crd, widget('ours')]))).errors).toEqual([]);
    // Someone else's Widget: the CRD's deletion would take it along.
    await client.request({ verb: 'create', method: 'POST', path: `/apis/${group}/v1/namespaces/${ns}/widgets`, body: widget('theirs') });

    const cs = await rm.apply(set([nsObject]), { prune: true, allowMassPrune: true });
    expect(cs.errors).toEqual([]);
    const crdEntry = cs.entries.find((e) => e.kind === 'CustomResourceDefinition');
    expect(crdEntry?.action).toBe('skipped');
    expect(crdEntry?.reason).toContain(`Widget/${ns}/theirs`);
    expect(cs.entries.find((e) => e.kind === 'Widget')?.action).toBe('deleted');
    expect(await getObject(client, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`)).toBeDefined();

    await client.request({ verb: 'delete', method: 'DELETE', path: `/apis/${group}/v1/namespaces/${ns}/widgets/theirs` });
    const again = await rm.apply(set([nsObject]), { prune: true, allowMassPrune: true });
    expect(again.entries.find((e) => e.kind === 'CustomResourceDefinition')?.action).toBe('deleted');
  });

  it('the mass-prune limit counts no member of an add-on the set no longer declares, and still stops an add-on that renders nothing', async () => {
    const ns = unique('addon-prune');
    const cm = (addon: string, i: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${addon}-${i}`, namespace: ns, labels: { [ADDON_LABEL]: addon } },
      data: { i: String(i) },
    });
    const big = [0, 1, 2, 3, 4, 5].map((i) => cm('big', i));
    const small = [0, 1].map((i) => cm('small', i));
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    const set = (objects: object[], addons?: string[]) => ({
      id: `addons.${ns}.c`,
      target: { kind: 'workload' as const, stage: ns, cluster: 'c' },
      objects: objects as any[],
      ...(addons ? { addons } : {}),
    });
    const rm = manager(client);
    expect((await rm.apply(set([namespace, ...big, ...small], ['big', 'small']))).errors).toEqual([]);
    // A render that lost big's objects while big is still declared: 6 of 9 would go, refused, nothing deleted.
    await expect(rm.apply(set([namespace, ...small], ['big', 'small']), { prune: true })).rejects.toThrow(/prune would delete 6 of 9 objects/);
    // The same set without the list of declared add-ons (an older revision's synth): refused too.
    await expect(rm.apply(set([namespace, ...small]), { prune: true })).rejects.toThrow(/prune would delete 6 of 9 objects/);
    expect(await getObject(client, `/api/v1/namespaces/${ns}/configmaps/big-0`)).toBeDefined();
    // big removed from the declaration: its six objects go, without --allow-mass-prune.
    const cs = await rm.apply(set([namespace, ...small], ['small']), { prune: true });
    expect(cs.errors).toEqual([]);
    expect(cs.entries.filter((e) => e.action === 'deleted').map((e) => e.name).sort()).toEqual(big.map((o) => o.metadata.name).sort());
    expect(await getObject(client, `/api/v1/namespaces/${ns}/configmaps/big-0`)).toBeUndefined();
    expect(await getObject(client, `/api/v1/namespaces/${ns}/configmaps/small-0`)).toBeDefined();
  });
});
