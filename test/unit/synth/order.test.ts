import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../src/model/manifest-set.js';
import { applyRank, sortForApply } from '../../../src/model/apply-order.js';

const obj = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: namespace === undefined ? { name } : { name, namespace },
});

describe('apply order', () => {
  test('puts Namespaces first, templates before classes, Clusters after other objects, webhooks last', () => {
    const order = [
      'CustomResourceDefinition',
      'Namespace',
      'ServiceAccount',
      'KubeadmControlPlaneTemplate',
      'ClusterClass',
      'Deployment',
      'Cluster',
      'ValidatingWebhookConfiguration',
    ].map(applyRank);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
  });

  test('matches *Class and *Template by suffix, and exact names before patterns', () => {
    expect(applyRank('PriorityClass')).toBe(applyRank('ClusterClass'));
    expect(applyRank('AWSMachineTemplate')).toBe(applyRank('KubeadmConfigTemplate'));
    expect(applyRank('Cluster')).not.toBe(applyRank('ClusterClass'));
    expect(applyRank('SomethingNew')).toBe(applyRank('Deployment'));
  });

  test('sorts by rank, then namespace (cluster-scoped first), name, kind and apiVersion', () => {
    const sorted = sortForApply([
      obj('Cluster', 'a', 'prod'),
      obj('ConfigMap', 'b', 'prod'),
      obj('ConfigMap', 'a', 'prod'),
      obj('Secret', 'a', 'prod'),
      obj('ConfigMap', 'z', 'dev'),
      obj('Namespace', 'prod'),
      obj('AWSMachineTemplate', 'x', 'prod', 'infrastructure.cluster.x-k8s.io/v1beta2'),
      obj('AzureMachineTemplate', 'x', 'prod', 'infrastructure.cluster.x-k8s.io/v1beta1'),
    ]);
    expect(sorted.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace /prod',
      'ConfigMap dev/z',
      'ConfigMap prod/a',
      'Secret prod/a',
      'ConfigMap prod/b',
      'AWSMachineTemplate prod/x',
      'AzureMachineTemplate prod/x',
      'Cluster prod/a',
    ]);
  });
});
