import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ensurePki, seedPki } from '../../../src/controlplane/pki.js';
import { CONTRACT_LABEL, LOCAL_PROVIDER_CRDS } from '../../../src/model/local-provider-crds.js';
import { setConditions } from '../../../src/localprovider/conditions.js';
import { controlPlaneStatusFor, versionProblem } from '../../../src/localprovider/control-plane-conditions.js';
import { generateCa, generateServiceAccountKeys } from '../../../src/localprovider/identity-secrets.js';
import { waitingFor } from '../../../src/localprovider/local-machine-controller.js';
import { WorkQueue } from '../../../src/localprovider/work-queue.js';
import type { Cluster, Machine } from '../../../src/localprovider/_objects.js';

describe('local provider CRDs', () => {
  it('are six, namespaced, contract-labelled, named as Cluster API computes them', () => {
    expect(LOCAL_PROVIDER_CRDS.map((crd) => crd.metadata.name)).toEqual([
      'localclusters.infrastructure.clusterops.io',
      'localclustertemplates.infrastructure.clusterops.io',
      'localmachines.infrastructure.clusterops.io',
      'localmachinetemplates.infrastructure.clusterops.io',
      'localcontrolplanes.controlplane.clusterops.io',
      'localcontrolplanetemplates.controlplane.clusterops.io',
    ]);
    for (const crd of LOCAL_PROVIDER_CRDS) expect(crd.metadata.labels?.[CONTRACT_LABEL]).toBe('v1alpha1');
    const cp = LOCAL_PROVIDER_CRDS[4] as unknown as { spec: { versions: Array<{ subresources: unknown }> } };
    expect(cp.spec.versions[0].subresources).toEqual({
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    });
  });
});

describe('setConditions', () => {
  it('keeps lastTransitionTime while the status is the same, and moves it when the status changes', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const first = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Waiting' }], 1, t1);
    const same = setConditions(first, [{ type: 'Ready', status: 'False', reason: 'StillWaiting' }], 1, new Date('2026-01-01T00:01:00Z'));
    expect(same[0].lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    const changed = setConditions(same, [{ type: 'Ready', status: 'True', reason: 'Provisioned' }], 2, new Date('2026-01-01T00:02:00Z'));
    expect(changed[0]).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:02:00Z', observedGeneration: 2, message: '' });
  });
});

describe('control plane status', () => {
  it('is available and initialized when running, and stays initialized while restarting', () => {
    const running = controlPlaneStatusFor({ phase: 'Running', everInitialized: false, desiredReplicas: 1 });
    expect(running).toMatchObject({ replicas: 1, readyReplicas: 1, initialized: true });
    expect(running.conditions.find((c) => c.type === 'Available')).toMatchObject({ status: 'True' });
    const restarting = controlPlaneStatusFor({ phase: 'Restarting', everInitialized: true, desiredReplicas: 1 });
    expect(restarting).toMatchObject({ replicas: 0, initialized: true });
    expect(restarting.conditions.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'Restarting' });
  });

  it('says replicas other than one are not supported', () => {
    const three = controlPlaneStatusFor({ phase: 'Running', everInitialized: true, desiredReplicas: 3 });
    expect(three.conditions.find((c) => c.type === 'ScalingUp')).toMatchObject({ status: 'True', reason: 'NotSupported' });
  });

  it('refuses a version the binaries are not, naming both', () => {
    expect(versionProblem('v1.36.3', 'v1.36.3', '/bin')).toBeUndefined();
    expect(versionProblem('1.36.3', 'v1.36.3', '/bin')).toBeUndefined();
    expect(versionProblem('v1.35.2', 'v1.36.3', '/bin')).toMatch(/v1\.35\.2 cannot run: .* Kubernetes v1\.36\.3/);
  });
});

describe('LocalMachine gates', () => {
  const cluster = (initialization: Record<string, boolean>) => ({ status: { initialization } }) as unknown as Cluster;
  const machine = (dataSecretName?: string) => ({ spec: { clusterName: 'c', bootstrap: { dataSecretName } } }) as unknown as Machine;
  it('wait for infrastructure, then the control plane, then bootstrap data', () => {
    expect(waitingFor(cluster({}), machine('s'))?.reason).toBe('WaitingForClusterInfrastructure');
    expect(waitingFor(cluster({ infrastructureProvisioned: true }), machine('s'))?.reason).toBe('WaitingForControlPlaneInitialized');
    expect(waitingFor(cluster({ infrastructureProvisioned: true, controlPlaneInitialized: true }), machine())?.reason).toBe('WaitingForBootstrapData');
    expect(waitingFor(cluster({ infrastructureProvisioned: true, controlPlaneInitialized: true }), machine('s'))).toBeUndefined();
  });
});

describe('WorkQueue', () => {
  it('runs a key once however often it is added, again when added while running, and retries failures', async () => {
    const runs: string[] = [];
    let failOnce = true;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const done = new Promise<void>((resolve) => {
      const queue = new WorkQueue(
        async (key) => {
          runs.push(key);
          if (key === 'a' && runs.length === 1) await gate;
          if (key === 'b' && failOnce) {
            failOnce = false;
            throw new Error('once');
          }
          if (runs.filter((k) => k === 'b').length === 2 && runs.filter((k) => k === 'a').length === 2) resolve();
        },
        { baseDelayMs: 10 },
      );
      queue.add('a');
      queue.add('a');
      queue.add('b');
      queue.add('a'); // while a runs: once more afterwards
      release();
    });
    await done;
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(2);
  });
});

describe('seeded PKI', () => {
  it('uses provided RSA authorities as they are and signs the leaves with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-pki-'));
    try {
      const ca = await generateCa();
      await seedPki(dir, { ca, etcdCa: await generateCa(), frontProxyCa: await generateCa(), serviceAccount: { publicKey: (await generateServiceAccountKeys()).cert, privateKey: (await generateServiceAccountKeys()).key } });
      const pki = await ensurePki(dir);
      expect(await readFile(pki.ca.cert, 'utf8')).toBe(ca.cert);
      const leaf = new X509Certificate(await readFile(pki.apiserver.cert, 'utf8'));
      expect(leaf.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
      await ensurePki(dir);
      expect(await readFile(pki.ca.cert, 'utf8')).toBe(ca.cert);
      await expect(seedPki(dir, { ca: { cert: ca.cert, key: (await generateCa()).key } })).rejects.toThrow('does not belong to the certificate');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
