import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MassPruneError } from '../../../src/apply/errors.js';
import { Inventory } from '../../../src/apply/inventory.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { DELETION_PROTECTION_ANNOTATION, PRUNE_ANNOTATION } from '../../../src/model/manifest-set.js';
import { configMap, FaultyApi, getObject, manager, manifestSet, namespace, suiteClient, unique } from './_helpers.js';

describe('prune guards', () => {
  let client: KubeClient;
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => client.close());

  async function appliedSet(names: string[], annotations: Record<string, Record<string, string>> = {}) {
    const ns = unique('prune');
    const objects = [namespace(ns), ...names.map((n) => configMap(ns, n, { n }, annotations[n]))];
    const rm = manager(client);
    const cs = await rm.apply(manifestSet(`test.${ns}`, objects));
    expect(cs.errors).toEqual([]);
    const keep = (kept: string[]) => manifestSet(`test.${ns}`, [namespace(ns), ...kept.map((n) => configMap(ns, n, { n }, annotations[n]))]);
    const exists = async (n: string) => (await getObject(client, `/api/v1/namespaces/${ns}/configmaps/${n}`)) !== undefined;
    return { ns, rm, keep, exists };
  }

  it('skips objects with deletion protection or prune: disabled, keeps them in the inventory, deletes the rest', async () => {
    const { ns, rm, keep, exists } = await appliedSet(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], {
      b: { [DELETION_PROTECTION_ANNOTATION]: 'true' },
      c: { [PRUNE_ANNOTATION]: 'disabled' },
    });
    // The user annotates a live object by hand (not in the declaration): honoured as well.
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/d`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { [PRUNE_ANNOTATION]: 'disabled' } } },
    });
    const cs = await rm.apply(keep(['a', 'f', 'g', 'h']), { prune: true });
    expect(cs.errors).toEqual([]);
    const byName = Object.fromEntries(cs.entries.filter((e) => e.kind === 'ConfigMap').map((e) => [e.name, [e.action, e.reason]]));
    expect(byName).toEqual({
      a: ['unchanged', undefined],
      f: ['unchanged', undefined],
      g: ['unchanged', undefined],
      h: ['unchanged', undefined],
      b: ['skipped', 'deletion protection'],
      c: ['skipped', 'clusterops.io/prune: disabled'],
      d: ['skipped', 'clusterops.io/prune: disabled'],
      e: ['deleted', undefined],
    });
    expect(await exists('b')).toBe(true);
    expect(await exists('c')).toBe(true);
    expect(await exists('d')).toBe(true);
    expect(await exists('e')).toBe(false);
    const inv = await Inventory.read(client, `test.${ns}`);
    expect([...inv.entries.values()].map((e) => e.ref.name).sort()).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h', ns].sort());

    // Once protection is lifted on the live object, the next prune deletes it.
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/d`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { [PRUNE_ANNOTATION]: null } } },
    });
    const again = await rm.apply(keep(['a', 'f', 'g', 'h']), { prune: true });
    expect(again.entries.find((e) => e.name === 'd')?.action).toBe('deleted');
    expect(await exists('d')).toBe(false);
  });

  it('refuses a mass prune unless allowed, changing nothing', async () => {
    const { rm, keep, exists } = await appliedSet(['a', 'b', 'c', 'd', 'e']);
    client.counter.reset();
    await expect(rm.apply(keep(['a']), { prune: true })).rejects.toBeInstanceOf(MassPruneError);
    await expect(rm.apply(keep([]), { prune: true })).rejects.toThrow(/prune would delete 5 of 6 objects.*--allow-mass-prune/);
    expect(client.counter.writes).toBe(0);
    for (const n of ['a', 'b', 'c', 'd', 'e']) expect(await exists(n)).toBe(true);

    const cs = await rm.apply(keep(['a']), { prune: true, allowMassPrune: true });
    expect(cs.counts().deleted).toBe(4);
    expect(await exists('b')).toBe(false);
  });

  it('a failed list aborts prune and deletes nothing', async () => {
    const { ns, keep, exists } = await appliedSet(['a', 'b', 'c']);
    const faulty = new FaultyApi(client);
    const rm = manager(faulty);
    // Plan lists succeed; once apply reaches prune, every list of ConfigMaps fails.
    let pruning = false;
    faulty.onRequest = () => {};
    faulty.failWhen = (req) => pruning && req.verb === 'list' && req.path.endsWith('/configmaps');
    const set = keep(['a']);
    const plan = await rm.diff(set); // warms discovery; nothing changes
    expect(plan.errors).toEqual([]);
    pruning = true;
    client.counter.reset();
    const cs = await rm.apply(set, { prune: true, allowMassPrune: true }).catch((e: Error) => e);
    // The plan itself lists ConfigMaps, so the run fails before any write.
    expect(cs).toBeInstanceOf(Error);
    expect(client.counter.get('delete')).toBe(0);
    expect(await exists('b')).toBe(true);

    // Now fail only the lists made by prune (after the apply part is done).
    let planned = 0;
    faulty.failWhen = (req) => req.verb === 'list' && req.path.endsWith('/configmaps') && planned++ >= 1;
    const cs2 = await rm.apply(set, { prune: true, allowMassPrune: true });
    expect(cs2.errors.map((e) => e.message).join('\n')).toMatch(/prune aborted, nothing was deleted: injected fault/);
    expect(cs2.entries.filter((e) => e.action === 'deleted')).toEqual([]);
    expect(await exists('b')).toBe(true);
    expect(await exists('c')).toBe(true);
    // The inventory still lists the candidates, so a later prune can finish the job.
    expect((await Inventory.read(client, `test.${ns}`)).entries.size).toBe(4);

    // A failed read of a single candidate (not shown by the list) aborts as well.
    faulty.failWhen = (req) => req.verb === 'get' && req.path.endsWith('/configmaps/b');
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/b`,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'applyset.kubernetes.io/part-of': null } } },
    });
    const cs3 = await rm.apply(set, { prune: true, allowMassPrune: true });
    expect(cs3.errors.map((e) => e.message).join('\n')).toMatch(/prune aborted/);
    expect(await exists('c')).toBe(true);

    // Without faults: b lost our label, so it is skipped, never deleted; c is deleted.
    faulty.failWhen = () => false;
    const cs4 = await rm.apply(set, { prune: true, allowMassPrune: true });
    expect(cs4.errors).toEqual([]);
    expect(Object.fromEntries(cs4.entries.map((e) => [e.name, e.action]))).toMatchObject({ a: 'unchanged', b: 'skipped', c: 'deleted' });
    expect(await exists('b')).toBe(true);
    expect(await exists('c')).toBe(false);
  });
});
