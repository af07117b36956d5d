import { describe, expect, inject, it } from 'vitest';
import { ResourceManager } from '../../src/apply/resource-manager.js';
import { workloadClusterCrd } from '../../src/charts/workload-cluster-crd.js';
import { KubeClient, KubeError } from '../../src/kube/client.js';
import { Discovery, resourcePath } from '../../src/kube/discovery.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { loadFleet } from '../../src/spec/load.js';
import type { KubeObject } from '../../src/model/manifest-set.js';
import { synthFleet } from '../../src/synth/synth.js';

/**
 * The real API server, with the real Cluster API, CAPD, CAPA and CAPZ schemas, accepts everything
 * clusterops synthesizes for the example fleet: server-side dry-run of every object once its
 * namespaces exist, with strict field validation so that no field is silently dropped.
 */
describe('the synthesized example fleet on a real API server', () => {
  async function setup() {
    const api = await KubeClient.fromKubeConfig(loadKubeconfig({ path: inject('kubeconfig') }));
    // The WorkloadCluster CRD, as the reconciler and `clusterops apply` install it before the first set.
    await new ResourceManager(api, { prerequisiteCrds: [workloadClusterCrd()] }).installPrerequisites();
    const discovery = new Discovery(api);
    const { fleet, problems } = await loadFleet('clusters');
    expect(problems).toEqual([]);
    return { api, discovery, sets: synthFleet(fleet!) };
  }

  async function dryRunApply(api: KubeClient, discovery: Discovery, obj: KubeObject, dryRun = true) {
    const info = await discovery.resolve(obj.apiVersion, obj.kind);
    return api.request<KubeObject>({
      verb: 'apply',
      method: 'PATCH',
      path: resourcePath(info, obj.metadata.namespace, obj.metadata.name),
      query: { fieldManager: 'clusterops-test', fieldValidation: 'Strict', ...(dryRun ? { dryRun: 'All' } : {}) },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  it('accepts every management and add-on object (strict field validation, dry-run)', async () => {
    const { api, discovery, sets } = await setup();
    const all = sets.flatMap((s) => s.objects);
    // Namespaces for real, so that namespaced objects can be dry-run into them.
    for (const ns of all.filter((o) => o.kind === 'Namespace')) await dryRunApply(api, discovery, ns, false);
    const refused: string[] = [];
    for (const obj of all.filter((o) => o.kind !== 'Namespace')) {
      try {
        const res = await dryRunApply(api, discovery, obj);
        expect(res.body.kind).toBe(obj.kind);
      } catch (err) {
        refused.push(`${obj.kind}/${obj.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(refused).toEqual([]);
    expect(all.filter((o) => o.kind === 'Cluster').length).toBe(6);
  });

  it('refuses a Cluster whose topology is invalid, with the API server\'s own message', async () => {
    const { api, discovery, sets } = await setup();
    const cluster = structuredClone(sets[0].objects.find((o) => o.kind === 'Cluster')!);
    (cluster.spec as { topology: { classRef: { name: string } } }).topology.classRef.name = 'Not_A_Name';
    const err = await dryRunApply(api, discovery, cluster).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(422);
    expect((err as KubeError).message).toMatch(/spec\.topology\.classRef\.name.*should match/);
  });
});
