// Plans read from watches (LiveCache) against a real API server: once a set's kinds are watched, a
// no-op apply lists nothing; a hand edit and a hand delete are told as drift the moment they
// happen and what the watch says is confirmed by a list before anything is applied; our own
// applies are not told as drift.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inventory } from '../../../src/apply/inventory.js';
import { LiveCache, type Drift } from '../../../src/apply/live-cache.js';
import { ResourceManager } from '../../../src/apply/resource-manager.js';
import type { KubeClient } from '../../../src/kube/client.js';
import type { ManifestSet } from '../../../src/model/manifest-set.js';
import { waitFor } from '../_wait-for.js';
import { suiteClient, unique } from './_helpers.js';

describe('LiveCache', () => {
  let client: KubeClient;
  let watcher: KubeClient;
  const ns = unique('live-cache');
  const setId = `management.${ns}`;
  const drifts: Drift[] = [];
  let cache: LiveCache;
  let rm: ResourceManager;

  const set = (value: string): ManifestSet => ({
    id: setId,
    target: { kind: 'management', stage: ns },
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { value } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } } },
      },
    ],
  });

  beforeAll(async () => {
    client = await suiteClient();
    watcher = await suiteClient();
    cache = new LiveCache(watcher, (d) => drifts.push(d));
    rm = new ResourceManager(client, { inventoryNamespace: ns, liveCache: cache });
    await client.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  });
  afterAll(async () => {
    await cache?.stop();
    await client?.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
    client?.close();
    watcher?.close();
  });

  it('plans a watched set without listing, tells a hand edit and a hand delete as drift, and not its own applies', async () => {
    const partOf = Inventory.empty(setId, ns).id;
    const first = await rm.apply(set('1'), { prune: true, force: true });
    expect(first.errors).toEqual([]);
    await waitFor('the watches of the set to be current', async () => cache.current(partOf));

    // A no-op apply: the inventory is read, no kind is listed, nothing written.
    const lists = client.counter.get('list');
    const writes = client.counter.writes;
    const noop = await rm.apply(set('1'), { prune: true, force: true });
    expect(noop.counts()).toMatchObject({ created: 0, configured: 0, deleted: 0 });
    expect(client.counter.get('list')).toBe(lists);
    expect(client.counter.writes).toBe(writes);

    // Our own change is not drift: once the watch has seen it, nothing was told.
    const CONFIG_MAPS = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true };
    const seenVersion = () => cache.read(CONFIG_MAPS, new Set([partOf]))?.get(partOf)?.get(`/ConfigMap/${ns}/settings`)?.resourceVersion;
    const before = seenVersion();
    expect(before).toBeDefined();
    const changed = await rm.apply(set('2'), { prune: true, force: true });
    expect(changed.counts().configured).toBe(1);
    await waitFor('the watch to see our own apply', async () => seenVersion() !== before);
    // (The Deployment controller writing its status and its revision annotation is not drift either.)
    expect(drifts).toEqual([]);

    // A hand edit (another field manager) of the Deployment's spec: told at once, with the set's ApplySet id.
    await client.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      query: { fieldManager: 'kubectl-edit' },
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 5 } },
    });
    await waitFor('the hand edit told as drift', async () => drifts.some((d) => d.key === `apps/Deployment/${ns}/web` && d.what === 'changed'));
    expect(drifts.every((d) => d.partOf === partOf)).toBe(true);
    const putBack = await rm.apply(set('2'), { prune: true, force: true });
    expect(putBack.entries.find((e) => e.kind === 'Deployment')?.action).toBe('configured');

    // A hand delete: told, and confirmed by a list before the object is created again.
    await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/settings` });
    await waitFor('the hand delete told as drift', async () => drifts.some((d) => d.key === `/ConfigMap/${ns}/settings` && d.what === 'deleted'));
    const listsBefore = client.counter.get('list');
    const recreated = await rm.apply(set('2'), { prune: true, force: true });
    expect(recreated.entries.find((e) => e.kind === 'ConfigMap')?.action).toBe('created');
    expect(client.counter.get('list')).toBeGreaterThan(listsBefore);
  });
});
