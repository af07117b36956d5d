import { afterAll, describe, expect, it } from 'vitest';
import { Inventory, PART_OF_LABEL } from '../../../src/apply/inventory.js';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { configMap, FaultyApi, manager, manifestSet, namespace, unique } from './_helpers.js';

describe('API server stopped in the middle of an apply', () => {
  let cp: TestControlPlane | undefined;
  afterAll(async () => {
    await cp?.stop();
  });

  it('fails that run, and the next run after a restart converges with nothing lost or duplicated', async () => {
    cp = await startTestControlPlane({ waitForControllers: false });
    const connect = () => KubeClient.fromKubeConfig(loadKubeconfig({ path: cp!.kubeconfigPath }), { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 200 });

    const ns = unique('restart');
    const set = manifestSet(`test.${ns}`, [namespace(ns), ...Array.from({ length: 200 }, (_, i) => configMap(ns, `cm-${i}`, { i: String(i) }))]);

    const first = await connect();
    const faulty = new FaultyApi(first);
    let applies = 0;
    faulty.onRequest = async (req) => {
      // Stop the whole control plane once about a third of the objects went out.
      if (req.verb === 'apply' && ++applies === 70) await cp!.stop({ keepState: true });
    };
    const outcome = await manager(faulty).apply(set).then(
      (cs) => cs.errors.map((e) => e.message).join('\n'),
      (e: Error) => e.message,
    );
    first.close();
    expect(outcome).toMatch(/cannot reach the API server|ECONNREFUSED|ECONNRESET/);

    cp = await startTestControlPlane({ stateDir: cp.stateDir, waitForControllers: false });
    const second = await connect();
    try {
      // What the interrupted run wrote is still there: the inventory lists every member up front.
      const before = await Inventory.read(second, `test.${ns}`);
      expect(before.entries.size).toBe(201);

      const cs = await manager(second).apply(set, { prune: true });
      expect(cs.errors).toEqual([]);
      const counts = cs.counts();
      expect(counts.created + counts.configured + counts.unchanged).toBe(201);
      expect(counts.created).toBeGreaterThan(0);
      expect(counts.created).toBeLessThan(201 - 60);
      expect(counts.deleted).toBe(0);

      const listed = await second.request<{ items: Array<{ metadata: { name: string }; data: Record<string, string> }> }>({
        verb: 'list',
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        query: { labelSelector: `${PART_OF_LABEL}=${before.id}` },
      });
      expect(listed.body.items).toHaveLength(200);
      for (const item of listed.body.items) expect(item.data.i).toBe(item.metadata.name.slice(3));

      second.counter.reset();
      const again = await manager(second).apply(set, { prune: true });
      expect(again.hasChanges).toBe(false);
      expect(second.counter.writes).toBe(0);
    } finally {
      second.close();
    }
  });
});
