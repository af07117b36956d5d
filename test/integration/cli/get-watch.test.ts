// `clusterops get clusters -w` as a user runs it, in its own process against the real API server:
// the list first, then a row each time a cluster changes, and a clean exit on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../../src/apply/resource-manager.js';
import { workloadClusterCrd } from '../../../src/charts/workload-cluster-crd.js';
import { repositoryRoot } from '../../../src/controlplane/upstream-assets.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { suiteClient, suiteKubeconfig } from '../apply/_helpers.js';

describe('clusterops get clusters -w', () => {
  const stage = `watch-${randomBytes(3).toString('hex')}`;
  let client: KubeClient;
  const wcPath = (name: string) => `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters/${name}`;

  beforeAll(async () => {
    client = await suiteClient();
    await new ResourceManager(client, { prerequisiteCrds: [workloadClusterCrd()] }).installPrerequisites();
    await client.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } } });
    await client.request({
      verb: 'create',
      method: 'POST',
      path: `/apis/clusterops.io/v1alpha1/namespaces/${stage}/workloadclusters`,
      body: {
        apiVersion: 'clusterops.io/v1alpha1',
        kind: 'WorkloadCluster',
        metadata: { name: 'web', namespace: stage, labels: { 'clusterops.io/stage': stage, 'clusterops.io/cluster': 'web' } },
        spec: { provider: 'docker', kubernetesVersion: 'v1.34.2', controlPlane: { replicas: 1 }, nodePools: [{ name: 'general', replicas: 2 }] },
      },
    });
  });

  afterAll(async () => {
    await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${stage}` }).catch(() => undefined);
    client.close();
  });

  it('lists, prints a cluster again when its status changes, and exits 0 on SIGINT', async () => {
    const root = repositoryRoot();
    const child = spawn(
      process.execPath,
      ['--import', path.join(root, 'test', 'integration', '_ts-register.mjs'), path.join(root, 'test', 'integration', '_main-child.ts'), 'get', 'clusters', '--stage', stage, '-w', '--kubeconfig', suiteKubeconfig()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const waiters: Array<() => void> = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const w of waiters.splice(0)) w();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    /** Resolves once stdout has a line matching `re` (each chunk re-checks; the test's own timeout bounds it). */
    const line = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = stdout.split('\n').find((l) => re.test(l));
          if (found) return resolve(found);
          if (child.exitCode !== null) return reject(new Error(`get -w exited ${child.exitCode}: ${stderr}`));
          waiters.push(check);
        };
        check();
      });
    try {
      expect(await line(/^STAGE\s+NAME\s+PROVIDER/)).toBeTruthy();
      // Before Cluster API counts anything: the declared 2 workers, none known ready.
      expect(await line(new RegExp(`^${stage}\\s+web\\s+docker\\s`))).toMatch(/\s-\/2\s/);
      await client.request({
        verb: 'apply',
        method: 'PATCH',
        path: `${wcPath('web')}/status`,
        query: { fieldManager: 'test', force: 'true' },
        contentType: 'application/apply-patch+yaml',
        body: {
          apiVersion: 'clusterops.io/v1alpha1',
          kind: 'WorkloadCluster',
          metadata: { name: 'web', namespace: stage },
          status: { phase: 'Ready', revision: 'c0ffee0123456789', cluster: { version: 'v1.34.2', workers: { desired: 2, ready: 2 } }, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'applied and healthy', lastTransitionTime: '2026-12-02T00:00:00Z' }] },
        },
      });
      const row = await line(new RegExp(`^${stage}\\s+web\\s+docker\\s+v1\\.34\\.2\\s+Ready\\s+True\\s+2/2`));
      expect(row).toMatch(/\sc0ffee0\s/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
