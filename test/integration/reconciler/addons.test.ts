import { randomBytes } from 'node:crypto';
import { testReconciler } from './_test-reconciler.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import type { Reconciler } from '../../../src/reconciler/reconciler.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { getObject, suiteClient } from '../apply/_helpers.js';
import { declaration, fleetRepo } from './_fleet-repo.js';

describe('add-ons delivered into a workload cluster through its kubeconfig Secret', () => {
  let management: KubeClient;
  let workloadCp: TestControlPlane;
  let workload: KubeClient;
  let reconciler: Reconciler;
  const stage = `addons-${randomBytes(3).toString('hex')}`;
  const repo = fleetRepo(stage);
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-addons-'));
  const wc = () => getObject(management, `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/edge`);
  const condition = (obj: any, type: string) => obj?.status?.conditions?.find((c: any) => c.type === type);

  beforeAll(async () => {
    management = await suiteClient();
    workloadCp = await startTestControlPlane({ waitForControllers: false });
    workload = await KubeClient.fromKubeConfig(loadKubeconfig({ path: workloadCp.kubeconfigPath }));
    reconciler = testReconciler(repo.url, work, management, { inventoryNamespace: `inv-${stage}` });
  });
  afterAll(async () => {
    reconciler?.close();
    management?.close();
    workload?.close();
    await workloadCp?.stop();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('waits for the Secret, then applies the add-on set inside the workload cluster and reports its health', async () => {
    repo.write(`clusters/${stage}/edge.yaml`, declaration('edge', { addons: { 'priority-classes': {}, 'team-namespaces': {} } }));
    const sha = repo.commit('edge with add-ons');
    const r1 = await reconciler.runOnce();
    expect(r1.applied.map((a) => a.set)).toEqual([`management.${stage}`]);
    const waiting = await wc();
    expect(condition(waiting, 'AddonsReady')).toMatchObject({ status: 'False', reason: 'WaitingForKubeconfig' });
    // Applied, and nothing runs Cluster API here: the cluster is provisioning as far as anyone knows.
    expect(waiting?.status.phase).toBe('Provisioning');

    // What Cluster API does once the control plane is up: Secret <cluster>-kubeconfig, key value.
    await management.request({
      verb: 'create',
      method: 'POST',
      path: `/api/v1/namespaces/${stage}/secrets`,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'edge-kubeconfig', namespace: stage },
        data: { value: readFileSync(workloadCp.kubeconfigPath).toString('base64') },
      },
    });
    const r2 = await reconciler.runOnce();
    const addons = r2.applied.find((a) => a.set === `addons.${stage}.edge`)!;
    expect(addons.errors).toEqual([]);
    expect(addons.counts.created).toBe(3);
    const cm = await getObject(workload, '/api/v1/namespaces/platform/configmaps/team-namespaces');
    expect(cm?.data).toEqual({ cluster: 'edge' });
    // Its own inventory, in the workload cluster.
    expect(await getObject(workload, `/api/v1/namespaces/inv-${stage}/configmaps/applyset-addons.${stage}.edge`)).toBeDefined();
    // Nothing of the add-on set landed in the management cluster.
    expect(await getObject(management, '/api/v1/namespaces/platform/configmaps/team-namespaces')).toBeUndefined();

    const ready = await wc();
    expect(condition(ready, 'AddonsReady')).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(ready?.status.addons).toEqual({ ready: 3, total: 3 });
    expect(ready?.status.revision).toBe(sha);
    // Not Ready: no Cluster API controllers run here to say the Cluster is available (test/integration/cluster-api does).
    expect(ready?.status.phase).toBe('Provisioning');
    expect(condition(ready, 'Ready')?.status).toBe('False');

    // A hand edit inside the workload cluster is put back too.
    await workload.request({
      verb: 'delete',
      method: 'DELETE',
      path: '/api/v1/namespaces/platform/configmaps/priority-classes',
    });
    const r3 = await reconciler.runOnce();
    expect(r3.applied.find((a) => a.set === `addons.${stage}.edge`)?.counts.created).toBe(1);
    expect(await getObject(workload, '/api/v1/namespaces/platform/configmaps/priority-classes')).toBeDefined();
  });
});
