import { describe, expect, it } from 'vitest';
import { describeTree } from '../../../src/cli/commands/_describe-tree.js';
import type { ClusterDescription } from '../../../src/model/cluster-tree.js';
import { eventRows } from '../../../src/cli/commands/events.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const T = '2026-12-02T11:58:00Z';

const ready = (type: string) => ({ type, status: 'True', reason: type });

function description(overrides: Partial<ClusterDescription> = {}): ClusterDescription {
  return {
    workloadCluster: {
      metadata: { name: 'web', namespace: 'dev', creationTimestamp: '2026-12-02T11:55:00Z' },
      spec: { provider: 'local', kubernetesVersion: 'v1.36.3' },
      status: {
        phase: 'Ready',
        revision: 'abcdef0123456789abcdef0123456789abcdef01',
        addons: { ready: 4, total: 4 },
        cluster: { version: 'v1.36.3' },
        conditions: [ready('Ready'), ready('Synced'), { type: 'ClusterAvailable', status: 'True', reason: 'Available', message: 'control plane 1/1 ready, workers 2/2 ready' }, ready('AddonsReady')],
      },
    },
    cluster: { kind: 'Cluster', metadata: { name: 'web' }, status: { phase: 'Provisioned', conditions: [ready('Available')] } },
    infrastructure: { kind: 'LocalCluster', metadata: { name: 'web-x1' }, status: { conditions: [ready('Ready')] } },
    controlPlane: { kind: 'LocalControlPlane', metadata: { name: 'web-y2' }, spec: { replicas: 1 }, status: { readyReplicas: 1, version: 'v1.36.3', conditions: [ready('Available')] } },
    controlPlaneMachines: [],
    machineDeployments: [
      {
        kind: 'MachineDeployment',
        metadata: { name: 'web-general-z3' },
        spec: { replicas: 2 },
        status: { readyReplicas: 1, conditions: [{ type: 'Available', status: 'False', reason: 'NotAvailable' }] },
        machines: [
          { metadata: { name: 'web-general-z3-a' }, status: { nodeRef: { name: 'web-general-z3-a' }, conditions: [ready('Ready')] } },
          { metadata: { name: 'web-general-z3-b' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NotReady' }] } },
        ],
      },
    ],
    events: [{ metadata: { namespace: 'dev', name: 'e1' }, involvedObject: { name: 'web' }, type: 'Normal', reason: 'Created', message: 'created 7 objects', count: 2, lastTimestamp: T }],
    ...overrides,
  };
}

describe('describe cluster tree', () => {
  it('draws the WorkloadCluster, its conditions, the Cluster API objects with the condition that matters, add-ons and events', () => {
    const lines = describeTree(description(), NOW).split('\n');
    expect(lines[0]).toBe('WorkloadCluster dev/web  provider local, v1.36.3, phase Ready, revision abcdef012345, age 5m');
    const text = lines.join('\n');
    expect(text).toMatch(/├─ Conditions\n│  ├─ Ready=True +Ready\n/);
    expect(text).toMatch(/│  ├─ ClusterAvailable=True +Available: control plane 1\/1 ready, workers 2\/2 ready/);
    expect(text).toMatch(/└─ Cluster\/web +Available=True, phase Provisioned/);
    expect(text).toMatch(/├─ LocalCluster\/web-x1 +Ready=True/);
    expect(text).toMatch(/├─ LocalControlPlane\/web-y2 +Available=True, 1\/1 ready, v1.36.3/);
    expect(text).toMatch(/└─ MachineDeployment\/web-general-z3 +Available=False NotAvailable, 1\/2 ready/);
    expect(text).toMatch(/├─ Machine\/web-general-z3-a +Ready=True, node web-general-z3-a/);
    expect(text).toMatch(/└─ Machine\/web-general-z3-b +Ready=False NotReady, no node yet/);
    expect(text).toMatch(/├─ Add-ons +4\/4 objects ready/);
    expect(text).toMatch(/└─ 2m ago Normal Created \(x2\) +created 7 objects/);
  });

  it('says when there is no Cluster yet, and shows the last error', () => {
    const d = description({ cluster: undefined, infrastructure: undefined, controlPlane: undefined, machineDeployments: [], events: [] });
    d.workloadCluster.status.lastError = 'clusters/dev/web.yaml:3:5: spec.provider: unknown';
    const text = describeTree(d, NOW);
    expect(text).toMatch(/├─ Last error +clusters\/dev\/web.yaml:3:5: spec.provider: unknown/);
    expect(text).toMatch(/└─ Cluster +does not exist \(not applied yet, or deleted\)/);
    expect(text).toMatch(/└─ Events +none/);
  });

  it("shows what a suspended cluster's waiting revision would change, before its events", () => {
    const d = description();
    Object.assign(d.workloadCluster.status, {
      waitingRevision: '0123456789abcdef0123456789abcdef01234567',
      waitingChanges: [
        { action: 'changed', kind: 'Cluster', name: 'web', namespace: 'dev', where: 'management', fields: [{ path: 'spec.topology.version', from: '"v1.36.3"', to: '"v1.37.0"' }], moreFields: 2 },
        { action: 'created', kind: 'Namespace', name: 'team-a', where: 'addons' },
      ],
      waitingChangesMore: 4,
    });
    const text = describeTree(d, NOW);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('├─ Waiting revision 0123456789ab'));
    expect(lines[at]).toMatch(/would change, on resume$/);
    expect(lines.slice(at + 1, at + 7).map((l) => l.replace(/\s{2,}/g, '  '))).toEqual([
      '│  ├─ ~ Cluster/dev/web  changed',
      '│  │  ├─ spec.topology.version  "v1.36.3" → "v1.37.0"',
      '│  │  └─ and 2 more fields',
      '│  ├─ + Namespace/team-a  created (workload cluster)',
      '│  └─ and 4 more objects',
      lines[at + 6],
    ]);
    expect(lines[at + 6]).toMatch(/^└─ Events/);
    delete d.workloadCluster.status.waitingRevision;
    expect(describeTree(d, NOW)).not.toContain('Waiting revision');
  });
});

describe('events rows', () => {
  it('orders oldest first and prints the count', () => {
    const rows = eventRows(
      [
        { metadata: { namespace: 'dev', name: 'b' }, involvedObject: { name: 'web' }, type: 'Warning', reason: 'Failed', message: 'a\nb', count: 3, lastTimestamp: '2026-12-02T11:59:00Z' },
        { metadata: { namespace: 'dev', name: 'a' }, involvedObject: { name: 'web' }, type: 'Normal', reason: 'Created', message: 'x', lastTimestamp: '2026-12-02T11:50:00Z' },
      ],
      NOW,
    );
    expect(rows).toEqual([
      ['dev', '10m', 'Normal', 'Created', 'web', '1', 'x'],
      ['dev', '60s', 'Warning', 'Failed', 'web', '3', 'a b'],
    ]);
  });
});
