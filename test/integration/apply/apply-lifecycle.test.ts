import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeSet } from '../../../src/apply/change-set.js';
import { GROUP_KINDS_ANNOTATION, Inventory, PART_OF_LABEL, TOOLING_ANNOTATION, APPLYSET_ID_LABEL } from '../../../src/apply/inventory.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { configMap, getObject, manager, manifestSet, namespace, suiteClient, unique, widgetCrd } from './_helpers.js';

/** `Kind/name -> action` of every entry. */
function actions(cs: ChangeSet): Record<string, string> {
  return Object.fromEntries(cs.entries.map((e) => [`${e.kind}/${e.name}`, e.action]));
}

describe('apply: create, unchanged, configure, prune', () => {
  let client: KubeClient;
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => client.close());

  it('creates, then re-applies with zero writes, configures one change, prunes one removal', async () => {
    const rm = manager(client);
    const ns = unique('life');
    const set = (objects = [namespace(ns), configMap(ns, 'a', { k: '1' }), configMap(ns, 'b', { k: '2' }), configMap(ns, 'c', { k: '3' })]) =>
      manifestSet(`test.${ns}`, objects);

    let cs = await rm.apply(set());
    expect(cs.errors).toEqual([]);
    expect(actions(cs)).toEqual({ [`Namespace/${ns}`]: 'created', 'ConfigMap/a': 'created', 'ConfigMap/b': 'created', 'ConfigMap/c': 'created' });

    // Inventory: an ApplySet parent, children labelled with its id.
    const inv = await Inventory.read(client, `test.${ns}`);
    expect(inv.exists).toBe(true);
    expect(inv.entries.size).toBe(4);
    const parent = await getObject(client, `/api/v1/namespaces/clusterops-system/configmaps/applyset-test.${ns}`);
    expect(parent?.metadata.labels[APPLYSET_ID_LABEL]).toBe(inv.id);
    expect(parent?.metadata.annotations[GROUP_KINDS_ANNOTATION]).toBe('ConfigMap,Namespace');
    expect(parent?.metadata.annotations[TOOLING_ANNOTATION]).toMatch(/^clusterops\//);
    const a = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/a`);
    expect(a?.metadata.labels[PART_OF_LABEL]).toBe(inv.id);
    expect(a?.data).toEqual({ k: '1' });

    // No-op: no write at all, one read of the inventory and one list per kind.
    client.counter.reset();
    cs = await rm.apply(set());
    expect(Object.values(actions(cs))).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(client.counter.writes).toBe(0);
    expect(client.counter.snapshot()).toEqual({ get: 1, list: 2 });

    // A fresh manager (as a new CLI run) also needs discovery, still no write.
    client.counter.reset();
    cs = await manager(client).apply(set());
    expect(cs.hasChanges).toBe(false);
    expect(client.counter.writes).toBe(0);

    // One change: one apply and one inventory write.
    client.counter.reset();
    cs = await rm.apply(set([namespace(ns), configMap(ns, 'a', { k: '1' }), configMap(ns, 'b', { k: 'two' }), configMap(ns, 'c', { k: '3' })]));
    expect(actions(cs)).toEqual({ [`Namespace/${ns}`]: 'unchanged', 'ConfigMap/a': 'unchanged', 'ConfigMap/b': 'configured', 'ConfigMap/c': 'unchanged' });
    expect(client.counter.get('apply')).toBe(2);
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/b`))?.data).toEqual({ k: 'two' });

    // Removed without --prune: kept on the cluster and in the inventory.
    const withoutC = set([namespace(ns), configMap(ns, 'a', { k: '1' }), configMap(ns, 'b', { k: 'two' })]);
    cs = await rm.apply(withoutC);
    expect(cs.entries.filter((e) => e.action === 'deleted')).toEqual([]);
    expect(await getObject(client, `/api/v1/namespaces/${ns}/configmaps/c`)).toBeDefined();
    expect((await Inventory.read(client, `test.${ns}`)).entries.size).toBe(4);

    // With --prune: deleted, and gone from the inventory.
    cs = await rm.apply(withoutC, { prune: true });
    expect(actions(cs)['ConfigMap/c']).toBe('deleted');
    expect(cs.errors).toEqual([]);
    expect(await getObject(client, `/api/v1/namespaces/${ns}/configmaps/c`)).toBeUndefined();
    expect((await Inventory.read(client, `test.${ns}`)).entries.size).toBe(3);

    // And the next run is a no-op again.
    client.counter.reset();
    cs = await rm.apply(withoutC, { prune: true });
    expect(cs.hasChanges).toBe(false);
    expect(client.counter.writes).toBe(0);
  });

  it('repairs drift: an object deleted by someone is created again, a lost label is restored', async () => {
    const rm = manager(client);
    const ns = unique('drift');
    const set = manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'a', { k: '1' }), configMap(ns, 'b', { k: '2' })]);
    await rm.apply(set);

    await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/a` });
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/b`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { [PART_OF_LABEL]: null } } },
    });
    client.counter.reset();
    const cs = await rm.apply(set);
    expect(actions(cs)).toEqual({ [`Namespace/${ns}`]: 'unchanged', 'ConfigMap/a': 'created', 'ConfigMap/b': 'configured' });
    const inv = await Inventory.read(client, `test.${ns}`);
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/b`))?.metadata.labels[PART_OF_LABEL]).toBe(inv.id);
    // Two objects applied, one inventory update.
    expect(client.counter.get('apply')).toBe(3);
  });

  it('applies a CRD and objects of its kind in one set, waiting for it to be established', async () => {
    const rm = manager(client);
    const ns = unique('crd');
    const group = `${ns}.example.com`;
    const crd = widgetCrd(group);
    const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
    // Declared in the "wrong" order on purpose: the apply order table sorts it out.
    const set = manifestSet(`test.${ns}`, [widget, namespace(ns), crd]);
    let cs = await rm.apply(set);
    expect(cs.errors).toEqual([]);
    expect(actions(cs)).toEqual({ [`CustomResourceDefinition/widgets.${group}`]: 'created', [`Namespace/${ns}`]: 'created', 'Widget/w1': 'created' });
    expect((await getObject(client, `/apis/${group}/v1/namespaces/${ns}/widgets/w1`))?.spec).toEqual({ size: 3 });

    client.counter.reset();
    cs = await manager(client).apply(set);
    expect(cs.hasChanges).toBe(false);
    expect(client.counter.writes).toBe(0);

    // Clean up the cluster-scoped CRD.
    cs = await rm.apply(manifestSet(`test.${ns}`, []), { prune: true, allowMassPrune: true });
    expect(cs.counts().deleted).toBe(3);
  });

  it('dry-run and diff report without writing', async () => {
    const rm = manager(client);
    const ns = unique('dry');
    const set = manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'a', { k: '1' })]);
    client.counter.reset();
    let cs = await rm.apply(set, { dryRun: true });
    expect(actions(cs)).toEqual({ [`Namespace/${ns}`]: 'created', 'ConfigMap/a': 'created' });
    expect(client.counter.writes).toBe(0);
    expect(await getObject(client, `/api/v1/namespaces/${ns}`)).toBeUndefined();

    await rm.apply(set);
    const changed = manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'a', { k: '2' })]);
    client.counter.reset();
    cs = await rm.diff(changed);
    expect(client.counter.writes).toBe(0);
    expect(actions(cs)).toEqual({ [`Namespace/${ns}`]: 'unchanged', 'ConfigMap/a': 'configured' });
    const diff = cs.entries.find((e) => e.name === 'a')?.diff ?? '';
    expect(diff).toContain("-  k: \"1\"");
    expect(diff).toContain("+  k: \"2\"");
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/a`))?.data).toEqual({ k: '1' });

    // A no-op diff costs no per-object request at all.
    client.counter.reset();
    cs = await rm.diff(set);
    expect(cs.hasChanges).toBe(false);
    expect(client.counter.snapshot()).toEqual({ get: 1, list: 2 });
  });
});
