// The cluster page's tree is read on request, kept a few seconds per version of the cluster, shared
// by requests that arrive together, and read again when the cluster changed or the last read failed.
import { describe, expect, it } from 'vitest';
import { ClusterTrees } from '../../../src/dashboard/cluster-trees.js';
import { KubeError, RequestCounter, type KubeApi, type KubeRequest } from '../../../src/kube/client.js';

/** An API server with one Cluster `dev/web` and no MachineDeployments or Machines; `fail` makes every request fail. */
function api() {
  const paths: string[] = [];
  const state = { fail: false };
  const client: KubeApi = {
    counter: new RequestCounter(),
    async request<T>(req: KubeRequest) {
      paths.push(req.path);
      if (state.fail) throw new KubeError(500, 'InternalError', 'etcd is gone', 'GET', req.path);
      if (req.path.endsWith('/clusters/web')) return { status: 200, headers: {}, body: { kind: 'Cluster', metadata: { name: 'web' }, status: { phase: 'Provisioned' } } as T };
      return { status: 200, headers: {}, body: { items: [] } as T };
    },
  } as KubeApi;
  return { client, paths, state };
}

describe('ClusterTrees', () => {
  it('reads once for requests of the same version within a few seconds, again after that or for a new version', async () => {
    const { client, paths } = api();
    let now = 1_000_000;
    const trees = new ClusterTrees(client, () => now);
    const [a, b] = await Promise.all([trees.tree('dev', 'web', '7'), trees.tree('dev', 'web', '7')]);
    expect(a).toEqual({ tree: { kind: 'Cluster', name: 'web', conditionType: 'Available', facts: ['phase Provisioned'], children: [] }, readAt: new Date(1_000_000).toISOString() });
    expect(b).toBe(a);
    // The Cluster, its MachineDeployments, its Machines.
    expect(paths).toHaveLength(3);
    now += 4_000;
    await trees.tree('dev', 'web', '7');
    expect(paths).toHaveLength(3);
    await trees.tree('dev', 'web', '8');
    expect(paths).toHaveLength(6);
    now += 6_000;
    await trees.tree('dev', 'web', '8');
    expect(paths).toHaveLength(9);
  });

  it('keeps no failed read', async () => {
    const { client, paths, state } = api();
    const trees = new ClusterTrees(client, () => 0);
    state.fail = true;
    await expect(trees.tree('dev', 'web', '1')).rejects.toThrow(/etcd is gone/);
    state.fail = false;
    expect((await trees.tree('dev', 'web', '1')).tree?.name).toBe('web');
    expect(paths).toHaveLength(4);
  });
});
