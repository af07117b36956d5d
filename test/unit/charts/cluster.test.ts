import { App, Chart } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import {
  addCluster,
  AUTOSCALER_MAX_SIZE_ANNOTATION,
  AUTOSCALER_MIN_SIZE_ANNOTATION,
  kubeletMaySetLabel,
  nodeLabelsArg,
} from '../../../src/charts/cluster.js';
import type { WorkloadCluster } from '../../../src/model/workload-cluster.js';
import { CLUSTER_LABEL, DELETION_PROTECTION_ANNOTATION, STAGE_LABEL, type KubeObject } from '../../../src/model/manifest-set.js';
import { nodePool, workloadCluster } from '../../fixtures/fleets.js';

/** The Cluster object synthesized for `cluster`. */
function clusterObject(cluster: WorkloadCluster): KubeObject {
  const chart = new Chart(new App(), 'test');
  addCluster(chart, cluster);
  const [object] = chart.toJson() as KubeObject[];
  return object;
}

interface Topology {
  classRef: { name: string };
  version: string;
  controlPlane: { replicas: number };
  variables?: Array<{ name: string; value: unknown }>;
  workers: {
    machineDeployments: Array<{
      name: string;
      class: string;
      replicas?: number;
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      variables?: { overrides: Array<{ name: string; value: unknown }> };
    }>;
  };
}

function topology(object: KubeObject): Topology {
  return (object.spec as { topology: Topology }).topology;
}

describe('Cluster', () => {
  const payments = workloadCluster('payments-eu1', {
    stage: 'production',
    provider: 'aws',
    labels: { team: 'payments' },
    spec: {
      provider: 'aws',
      region: 'eu-west-1',
      kubernetesVersion: 'v1.33.4',
      controlPlane: { replicas: 3, machineType: 'm6i.large' },
      nodePools: [
        nodePool({ name: 'general', replicas: 3, machineType: 'm6i.xlarge' }),
        nodePool({
          name: 'batch',
          replicas: undefined,
          autoscaling: { min: 0, max: 20 },
          machineType: 'c6i.2xlarge',
          labels: { workload: 'batch' },
          taints: [{ key: 'workload', value: 'batch', effect: 'NoSchedule' }],
        }),
      ],
      network: { podCIDRs: ['192.168.0.0/16'], serviceCIDRs: ['10.128.0.0/12'] },
      deletionProtection: true,
    },
  });

  test('is a cluster.x-k8s.io/v1beta2 Cluster in the stage namespace with a managed topology', () => {
    const object = clusterObject(payments);
    expect(object.apiVersion).toBe('cluster.x-k8s.io/v1beta2');
    expect(object.kind).toBe('Cluster');
    expect(object.metadata).toMatchObject({ name: 'payments-eu1', namespace: 'production' });
    expect(object.spec).toMatchObject({
      clusterNetwork: { pods: { cidrBlocks: ['192.168.0.0/16'] }, services: { cidrBlocks: ['10.128.0.0/12'] } },
    });
    const t = topology(object);
    expect(t.classRef).toEqual({ name: 'clusterops-aws' });
    expect(t.version).toBe('v1.33.4');
    expect(t.controlPlane).toEqual({ replicas: 3 });
    expect(t.workers.machineDeployments.map((md) => [md.name, md.class])).toEqual([
      ['general', 'default-worker'],
      ['batch', 'default-worker'],
    ]);
  });

  test('carries the declared labels and the stage and cluster labels', () => {
    expect(clusterObject(payments).metadata.labels).toEqual({
      team: 'payments',
      [STAGE_LABEL]: 'production',
      [CLUSTER_LABEL]: 'payments-eu1',
    });
  });

  test('a declared label cannot take over the stage or cluster label', () => {
    const sneaky = workloadCluster('a', { stage: 'staging', labels: { [STAGE_LABEL]: 'production' } });
    expect(clusterObject(sneaky).metadata.labels?.[STAGE_LABEL]).toBe('staging');
  });

  test('a fixed pool has replicas; an autoscaled pool has the autoscaler bounds and no replicas', () => {
    const [general, batch] = topology(clusterObject(payments)).workers.machineDeployments;
    expect(general.replicas).toBe(3);
    expect(general.metadata?.annotations).toBeUndefined();
    expect(batch).not.toHaveProperty('replicas');
    expect(batch.metadata?.annotations).toEqual({
      [AUTOSCALER_MIN_SIZE_ANNOTATION]: '0',
      [AUTOSCALER_MAX_SIZE_ANNOTATION]: '20',
    });
  });

  test('deletion protection becomes an annotation, and only when asked for', () => {
    expect(clusterObject(payments).metadata.annotations).toEqual({ [DELETION_PROTECTION_ANNOTATION]: 'true' });
    const unprotected = workloadCluster('scratch', { spec: { deletionProtection: false } });
    expect(clusterObject(unprotected).metadata.annotations).toBeUndefined();
  });

  test('region and machine types reach the topology variables; a pool overrides the worker machine type', () => {
    const t = topology(clusterObject(payments));
    expect(t.variables).toEqual([
      { name: 'region', value: 'eu-west-1' },
      { name: 'controlPlaneMachineType', value: 'm6i.large' },
      { name: 'workerMachineType', value: 'm6i.xlarge' },
    ]);
    const [general, batch] = t.workers.machineDeployments;
    expect(general.variables?.overrides).toEqual([{ name: 'workerMachineType', value: 'm6i.xlarge' }]);
    expect(batch.variables?.overrides).toEqual([
      { name: 'workerMachineType', value: 'c6i.2xlarge' },
      { name: 'nodeLabels', value: 'workload=batch' },
      { name: 'nodeTaints', value: [{ key: 'workload', value: 'batch', effect: 'NoSchedule' }] },
    ]);
    expect(batch.metadata?.labels).toEqual({ workload: 'batch' });
  });

  test('without declared machine types a cluster gets its provider defaults', () => {
    const azure = workloadCluster('analytics', {
      provider: 'azure',
      spec: { provider: 'azure', region: 'westeurope', controlPlane: { replicas: 1 }, nodePools: [nodePool()] },
    });
    const t = topology(clusterObject(azure));
    expect(t.classRef.name).toBe('clusterops-azure');
    expect(t.variables).toEqual([
      { name: 'region', value: 'westeurope' },
      { name: 'controlPlaneMachineType', value: 'Standard_D2s_v5' },
      { name: 'workerMachineType', value: 'Standard_D4s_v5' },
    ]);
    expect(t.workers.machineDeployments[0].variables).toBeUndefined();
  });

  test('a docker cluster has no region or machine type variables', () => {
    const docker = workloadCluster('dev', {
      provider: 'docker',
      spec: { provider: 'docker', region: undefined, nodePools: [nodePool({ machineType: 'ignored' })] },
    });
    const t = topology(clusterObject(docker));
    expect(t.classRef.name).toBe('clusterops-docker');
    expect(t).not.toHaveProperty('variables');
    expect(t.workers.machineDeployments[0]).not.toHaveProperty('variables');
  });

  test('a cloud cluster without a region is refused with its file', () => {
    const noRegion = workloadCluster('lost', { provider: 'aws', spec: { provider: 'aws', region: undefined } });
    expect(() => clusterObject(noRegion)).toThrow('clusters/staging/lost.yaml: cluster lost: provider aws needs a region');
  });
});

describe('node labels', () => {
  test('the kubelet gets the labels it may set, sorted by key', () => {
    expect(
      nodeLabelsArg({
        zone: 'b',
        'example.com/tier': 'web',
        'node-role.kubernetes.io/batch': '',
        'node.kubernetes.io/pool': 'x',
        app: 'a',
      }),
    ).toBe('app=a,example.com/tier=web,node.kubernetes.io/pool=x,zone=b');
  });

  test.each([
    ['team', true],
    ['example.com/team', true],
    ['kubelet.kubernetes.io/x', true],
    ['a.node.kubernetes.io/x', true],
    ['kubernetes.io/hostname', false],
    ['node-role.kubernetes.io/worker', false],
    ['topology.kubernetes.io/zone', false],
    ['k8s.io/x', false],
    ['notkubernetes.io/x', true],
  ])('%s may be set by the kubelet: %s', (key, allowed) => {
    expect(kubeletMaySetLabel(key)).toBe(allowed);
  });
});
