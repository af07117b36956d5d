import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { configMap, manager, manifestSet, namespace, suiteClient, unique } from './_helpers.js';

describe('several sets at once', () => {
  let client: KubeClient;
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => client.close());

  it('plans sets together (one inventory list, one list per kind), keeps them apart, and reports a broken set without stopping the others', async () => {
    const ns = [unique('multi'), unique('multi'), unique('multi')];
    const sets = ns.map((n, i) =>
      manifestSet(`test.${n}`, [namespace(n), ...Array.from({ length: 3 + i }, (_, j) => configMap(n, `cm-${j}`, { j: String(j) }))]),
    );
    const rm = manager(client);
    let cs = await rm.applyAll(sets);
    expect(cs.errors).toEqual([]);
    expect(cs.counts().created).toBe(3 + 4 + 5 + 3);

    client.counter.reset();
    cs = await rm.applyAll(sets);
    expect(cs.hasChanges).toBe(false);
    expect(cs.counts().unchanged).toBe(15);
    // One list of the inventory namespace, one list of Namespaces and one of ConfigMaps for all three sets.
    expect(client.counter.snapshot()).toEqual({ list: 3 });

    // Removing a ConfigMap from one set prunes it there only.
    const trimmed = [sets[0], manifestSet(sets[1].id, sets[1].objects.slice(0, 4)), sets[2]];
    cs = await rm.applyAll(trimmed, { prune: true });
    expect(cs.entries.filter((e) => e.action === 'deleted').map((e) => [e.set, e.name])).toEqual([[sets[1].id, 'cm-3']]);

    // A set with a kind the server does not serve fails alone.
    const broken = manifestSet(sets[2].id, [...sets[2].objects, { apiVersion: 'nope.example.com/v1', kind: 'Nope', metadata: { name: 'x', namespace: ns[2] } }]);
    const changed = manifestSet(sets[0].id, [namespace(ns[0]), configMap(ns[0], 'cm-0', { j: 'changed' })]);
    cs = await rm.applyAll([changed, broken], { prune: true, allowMassPrune: true });
    expect(cs.errors.map((e) => e.set)).toEqual([sets[2].id]);
    expect(cs.errors[0].message).toMatch(/does not serve nope\.example\.com\/v1\/Nope/);
    expect(cs.entries.find((e) => e.set === sets[0].id && e.name === 'cm-0')?.action).toBe('configured');
  });

  it('waits until applied objects are healthy', async () => {
    const n = unique('wait');
    const set = manifestSet(`test.${n}`, [namespace(n), configMap(n, 'a', { k: 'v' })]);
    const rm = manager(client);
    await rm.apply(set);
    const result = await rm.wait(set.objects, { timeoutMs: 120_000, intervalMs: 100 });
    expect(result).toMatchObject({ ok: true, outcome: 'Current' });
    const missing = await rm.wait([configMap(n, 'never', {})], { timeoutMs: 500, intervalMs: 100 });
    expect(missing.ok).toBe(false);
    expect(missing.outcome).toBe('Timeout');
  });
});
