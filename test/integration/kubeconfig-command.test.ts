import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureCrds } from '../../src/apply/crd-established.js';
import { workloadClusterCrd, WORKLOAD_CLUSTER_API_VERSION } from '../../src/charts/workload-cluster-crd.js';
import { kubeconfigCommand } from '../../src/cli/commands/kubeconfig.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { KubeClient } from '../../src/kube/client.js';
import { Discovery } from '../../src/kube/discovery.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { runCommand, runMain } from '../_run-command.js';

const suffix = Date.now().toString(36);
const stages = [`kc-a-${suffix}`, `kc-b-${suffix}`];

/** `clusterops kubeconfig` reads `<cluster>-kubeconfig` (key `value`) from the cluster's stage namespace. */
describe('clusterops kubeconfig', () => {
  let api: KubeClient;
  const kubeconfig = inject('kubeconfig');
  const run = (...args: string[]) => runMain(['kubeconfig', ...args, '--kubeconfig', kubeconfig]);

  beforeAll(async () => {
    api = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
    await ensureCrds(api, new Discovery(api), [workloadClusterCrd()], 'clusterops-test', 60_000);
    const create = (path: string, body: unknown) => api.request({ verb: 'create', method: 'POST', path, body });
    for (const stage of stages) {
      await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } });
      // Both stages have a cluster `shared`; only the first stage has `solo`.
      for (const name of stage === stages[0] ? ['shared', 'solo'] : ['shared']) {
        await create(`/apis/${WORKLOAD_CLUSTER_API_VERSION}/namespaces/${stage}/workloadclusters`, {
          apiVersion: WORKLOAD_CLUSTER_API_VERSION,
          kind: 'WorkloadCluster',
          metadata: { name },
          spec: { provider: 'local', kubernetesVersion: 'v1.36.3', controlPlane: { replicas: 1 }, nodePools: [{ name: 'general', replicas: 1 }] },
        });
      }
      await create(`/api/v1/namespaces/${stage}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'shared-kubeconfig' },
        type: 'cluster.x-k8s.io/secret',
        stringData: { value: `apiVersion: v1\nkind: Config\n# cluster shared of ${stage}\n` },
      });
    }
  });
  afterAll(async () => {
    for (const stage of stages) await api.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${stage}` }).catch(() => undefined);
    api.close();
  });

  it('prints the kubeconfig of the cluster in the given stage', async () => {
    const result = await run('shared', '--stage', stages[1]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`apiVersion: v1\nkind: Config\n# cluster shared of ${stages[1]}\n`);
  });

  it('asks for --stage when several stages have a cluster of that name', async () => {
    const result = await runCommand(kubeconfigCommand, ['shared', '--kubeconfig', kubeconfig]).catch((error: Error) => error);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toBe(`shared exists in the stages ${stages.join(', ')}; say which with --stage`);
  });

  it('finds the stage itself when one stage has the cluster, and says when its control plane has no kubeconfig yet', async () => {
    const result = await run('solo');
    expect(result.code).toBe(ExitCode.notFound);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${stages[0]}/solo has no kubeconfig yet (Secret ${stages[0]}/solo-kubeconfig): its control plane is not initialized\n`);
  });

  it('exits 3 for a cluster that no stage has', async () => {
    const result = await run(`missing-${suffix}`);
    expect(result.code).toBe(ExitCode.notFound);
    expect(result.stderr).toMatch(/no workload cluster named missing-/);
  });
});
