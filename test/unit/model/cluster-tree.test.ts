import { describe, expect, it } from 'vitest';
import { clusterTree, groupMachines, type Described } from '../../../src/model/cluster-tree.js';

const ready = (type: string) => ({ type, status: 'True', reason: type });
const machine = (name: string, deployment: string | undefined, extra: Partial<Described> = {}): Described => ({
  kind: 'Machine',
  metadata: { name, labels: { 'cluster.x-k8s.io/cluster-name': 'web', ...(deployment ? { 'cluster.x-k8s.io/deployment-name': deployment } : {}) } },
  ...extra,
});

describe('cluster tree', () => {
  it('is nothing without a Cluster', () => {
    expect(clusterTree({ controlPlaneMachines: [], machineDeployments: [] })).toBeUndefined();
  });

  it('puts the infrastructure cluster, the control plane and each MachineDeployment with its Machines under the Cluster, each with its key condition', () => {
    const notAvailable = { type: 'Available', status: 'False', reason: 'NotAvailable', message: '1 of 2 replicas ready' };
    const tree = clusterTree({
      cluster: { kind: 'Cluster', metadata: { name: 'web' }, status: { phase: 'Provisioned', conditions: [ready('ControlPlaneAvailable'), ready('Available')] } },
      infrastructure: { kind: 'DockerCluster', metadata: { name: 'web-x1' }, status: { conditions: [ready('Ready')] } },
      controlPlane: { kind: 'KubeadmControlPlane', metadata: { name: 'web-cp' }, spec: { replicas: 3, version: 'v1.34.2' }, status: { readyReplicas: 2 } },
      ...groupMachines(
        [{ kind: 'MachineDeployment', metadata: { name: 'web-b' }, spec: { replicas: 2 }, status: { readyReplicas: 1, conditions: [notAvailable] } }],
        [
          machine('web-b-2', 'web-b', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NotReady' }] } }),
          machine('web-cp-2', undefined, { metadata: { name: 'web-cp-2', labels: { 'cluster.x-k8s.io/control-plane': '' } }, status: { conditions: [ready('Ready')] } }),
          machine('web-cp-1', undefined, { metadata: { name: 'web-cp-1', labels: { 'cluster.x-k8s.io/control-plane': '' } }, status: { nodeRef: { name: 'web-cp-1' }, conditions: [ready('Ready')] } }),
          // Neither a control plane's nor a deployment's (a MachinePool's): not in the tree.
          machine('web-pool-1', undefined),
          machine('web-b-1', 'web-b', { status: { nodeRef: { name: 'node-1' }, conditions: [ready('Ready')] } }),
        ],
      ),
    });
    expect(tree).toEqual({
      kind: 'Cluster',
      name: 'web',
      conditionType: 'Available',
      condition: ready('Available'),
      facts: ['phase Provisioned'],
      children: [
        { kind: 'DockerCluster', name: 'web-x1', conditionType: 'Ready', condition: ready('Ready'), facts: [], children: [] },
        // Not reported: no condition, and the version from the spec; its Machines (by label) under it, sorted.
        {
          kind: 'KubeadmControlPlane',
          name: 'web-cp',
          conditionType: 'Available',
          facts: ['2/3 ready', 'v1.34.2'],
          children: [
            { kind: 'Machine', name: 'web-cp-1', conditionType: 'Ready', condition: ready('Ready'), facts: ['node web-cp-1'], children: [] },
            { kind: 'Machine', name: 'web-cp-2', conditionType: 'Ready', condition: ready('Ready'), facts: ['no node yet'], children: [] },
          ],
        },
        {
          kind: 'MachineDeployment',
          name: 'web-b',
          conditionType: 'Available',
          condition: notAvailable,
          facts: ['1/2 ready'],
          // Sorted by name; the control plane's Machines (no deployment label) are not under it.
          children: [
            { kind: 'Machine', name: 'web-b-1', conditionType: 'Ready', condition: ready('Ready'), facts: ['node node-1'], children: [] },
            { kind: 'Machine', name: 'web-b-2', conditionType: 'Ready', condition: { type: 'Ready', status: 'False', reason: 'NotReady' }, facts: ['no node yet'], children: [] },
          ],
        },
      ],
    });
  });

  it('orders MachineDeployments by name and says "?" for a Cluster without a phase', () => {
    const tree = clusterTree({
      cluster: { metadata: { name: 'web' } },
      ...groupMachines([{ metadata: { name: 'web-z' } }, { metadata: { name: 'web-a' }, status: { readyReplicas: 1 } }], []),
    });
    expect(tree?.facts).toEqual(['phase ?']);
    expect(tree?.condition).toBeUndefined();
    expect(tree?.children.map((c) => [c.kind, c.name, c.facts[0]])).toEqual([
      ['MachineDeployment', 'web-a', '1/0 ready'],
      ['MachineDeployment', 'web-z', '0/0 ready'],
    ]);
  });
});
