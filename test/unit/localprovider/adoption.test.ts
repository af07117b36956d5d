// Adoption after the management cluster was rebuilt: which Node a new machine of a pool takes over,
// and which running control plane a new LocalCluster takes the endpoint of.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processRef } from '../../../src/controlplane/_proc.js';
import type { ControlPlaneState } from '../../../src/controlplane/index.js';
import { IdentityMismatchError, WorkloadControlPlanes } from '../../../src/localprovider/workload-control-planes.js';

describe('WorkloadControlPlanes: the running control plane of a cluster', () => {
  let root: string;
  const CA = '-----BEGIN CERTIFICATE-----\nours\n-----END CERTIFICATE-----\n';
  const OTHER = '-----BEGIN CERTIFICATE-----\ntheirs\n-----END CERTIFICATE-----\n';

  /** A state dir whose every process is this test process: "running" to a look at /proc. */
  async function fakeRunning(dir: string, port: number, ca: string): Promise<void> {
    await mkdir(join(dir, 'pki'), { recursive: true });
    await writeFile(join(dir, 'pki', 'ca.crt'), ca);
    const self = processRef(process.pid)!;
    const state: ControlPlaneState = {
      version: 1,
      stateDir: dir,
      phase: 'running',
      owner: self,
      detached: true,
      server: `https://127.0.0.1:${port}`,
      kubeconfig: join(dir, 'kubeconfig'),
      ports: { etcdClient: 1, etcdPeer: 2, apiserver: port },
      processes: { etcd: self, 'kube-apiserver': self, 'kube-controller-manager': self },
      binaries: '/nonexistent',
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(dir, 'state.json'), JSON.stringify(state));
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-adopt-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives its port only for the cluster CA, and nothing when none runs', async () => {
    const workloads = new WorkloadControlPlanes(root, '/nonexistent');
    expect(await workloads.runningEndpointOf('ns', 'c', CA)).toBeUndefined();
    await fakeRunning(workloads.dirOf('ns', 'c'), 40123, CA);
    expect(await workloads.runningEndpointOf('ns', 'c', CA)).toBe(40123);
    expect(await workloads.runningEndpointOf('ns', 'c', CA.trim())).toBe(40123);
    expect(await workloads.runningEndpointOf('ns', 'c', OTHER)).toBeUndefined();
    expect(await workloads.runningEndpointOf('ns', 'other', CA)).toBeUndefined();
  });

  it('ensure refuses it with another CA or on another port, with the same test', async () => {
    const workloads = new WorkloadControlPlanes(root, '/nonexistent');
    await fakeRunning(workloads.dirOf('ns', 'c'), 40123, CA);
    const spec = (port: number, cert: string) => ({ namespace: 'ns', cluster: 'c', port, seed: { ca: { cert, key: 'unused' } } });
    await expect(workloads.ensure(spec(40123, OTHER))).rejects.toThrow(IdentityMismatchError);
    await expect(workloads.ensure(spec(40124, CA))).rejects.toThrow(/listens on 40123, not on the endpoint port 40124/);
    expect(await workloads.ensure(spec(40123, CA))).toMatchObject({ action: 'adopted', server: 'https://127.0.0.1:40123' });
  });
});
