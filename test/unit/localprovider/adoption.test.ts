// Adoption after the management cluster was rebuilt: which Node a new machine of a pool takes over,
// and which running control plane a new LocalCluster takes the endpoint of.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processRef } from '../../../src/controlplane/_proc.js';
import type { ControlPlaneState } from '../../../src/controlplane/index.js';
import { providerIdOf } from '../../../src/localprovider/local-machine-controller.js';
import { CLAIMED_BY_ANNOTATION, orphanNodeOf, POOL_LABEL, type Adopter, type WorkloadNode } from '../../../src/localprovider/workload-nodes.js';
import { IdentityMismatchError, WorkloadControlPlanes } from '../../../src/localprovider/workload-control-planes.js';

const node = (name: string, providerID: string | undefined, pool?: string, claimedBy?: string): WorkloadNode => ({
  metadata: {
    name,
    uid: `uid-${name}`,
    labels: pool === undefined ? {} : { [POOL_LABEL]: pool },
    annotations: claimedBy === undefined ? {} : { [CLAIMED_BY_ANNOTATION]: claimedBy },
  },
  spec: providerID === undefined ? {} : { providerID },
});

describe('orphanNodeOf', () => {
  const machines = new Set(['live-1']);
  const localMachines = new Set(['ns/new-1', 'ns/new-2']);
  const adopter = (overrides: Partial<Adopter> = {}): Adopter => ({
    localMachine: 'ns/new-1',
    providerIdPrefix: providerIdOf('ns', 'c', ''),
    pool: 'md-0',
    machineExists: (name) => machines.has(name),
    localMachineExists: (key) => localMachines.has(key),
    ...overrides,
  });

  it('takes a Node of the pool whose Machine is gone', () => {
    expect(orphanNodeOf([node('old-1', 'local://ns/c/old-1', 'md-0')], adopter())?.metadata.name).toBe('old-1');
  });

  it('leaves Nodes whose Machine exists, of another pool, of another cluster or namespace, or not ours', () => {
    const nodes = [
      node('live-1', 'local://ns/c/live-1', 'md-0'),
      node('other-pool', 'local://ns/c/other-pool', 'md-1'),
      node('unlabelled', 'local://ns/c/unlabelled'),
      node('other-cluster', 'local://ns/c2/other-cluster', 'md-0'),
      node('other-namespace', 'local://ns2/c/other-namespace', 'md-0'),
      node('foreign', 'aws:///eu-west-1a/i-0123', 'md-0'),
      node('no-provider-id', undefined, 'md-0'),
      node('nested', 'local://ns/c/a/b', 'md-0'),
    ];
    expect(orphanNodeOf(nodes, adopter())).toBeUndefined();
  });

  it('counts no pool label on both sides as the same pool, and only then', () => {
    const nodes = [node('labelled', 'local://ns/c/labelled', 'md-0'), node('unlabelled', 'local://ns/c/unlabelled')];
    expect(orphanNodeOf(nodes, adopter({ pool: undefined }))?.metadata.name).toBe('unlabelled');
    expect(orphanNodeOf(nodes, adopter())?.metadata.name).toBe('labelled');
  });

  it('leaves a Node another existing LocalMachine claimed, and takes one whose claimant is gone', () => {
    expect(orphanNodeOf([node('old-1', 'local://ns/c/old-1', 'md-0', 'ns/new-2')], adopter())).toBeUndefined();
    expect(orphanNodeOf([node('old-1', 'local://ns/c/old-1', 'md-0', 'ns/gone')], adopter())?.metadata.name).toBe('old-1');
  });

  it('prefers the Node it claimed itself, then the first by name', () => {
    const nodes = [node('old-b', 'local://ns/c/old-b', 'md-0'), node('old-c', 'local://ns/c/old-c', 'md-0', 'ns/new-1'), node('old-a', 'local://ns/c/old-a', 'md-0')];
    expect(orphanNodeOf(nodes, adopter())?.metadata.name).toBe('old-c');
    expect(orphanNodeOf(nodes, adopter({ localMachine: 'ns/new-3' }))?.metadata.name).toBe('old-a');
  });

  it('leaves a Node being deleted', () => {
    const deleting = node('old-1', 'local://ns/c/old-1', 'md-0');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(orphanNodeOf([deleting], adopter())).toBeUndefined();
  });
});

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
