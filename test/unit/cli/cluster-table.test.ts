import { describe, expect, it } from 'vitest';
import { age, clusterRows, HEADERS, renderTable, type ListedCluster } from '../../../src/cli/commands/_cluster-table.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');

const ready: ListedCluster = {
  metadata: { name: 'web', namespace: 'dev', creationTimestamp: '2026-12-02T11:55:00Z' },
  spec: { provider: 'local', kubernetesVersion: 'v1.36.3', nodePools: [{ replicas: 3 }] },
  status: {
    phase: 'Ready',
    revision: '0123456789abcdef0123456789abcdef01234567',
    addons: { ready: 4, total: 4 },
    cluster: { version: 'v1.36.3', workers: { desired: 3, ready: 3 } },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'applied and healthy' }],
  },
};

const fresh: ListedCluster = {
  metadata: { name: 'api', namespace: 'dev', creationTimestamp: '2026-12-02T11:59:30Z' },
  spec: { provider: 'aws', kubernetesVersion: 'v1.34.2', nodePools: [{ replicas: 2 }, { replicas: 1 }] },
  status: {
    phase: 'Provisioning',
    conditions: [{ type: 'Ready', status: 'False', reason: 'NotAvailable', message: '* InfrastructureReady:\n  waiting for AWSCluster' }],
  },
};

describe('get clusters rows', () => {
  it('prints what the status says, sorted by stage and name, and why a cluster is not Ready', () => {
    const rows = clusterRows([ready, fresh], NOW);
    expect(rows).toEqual([
      ['dev', 'api', 'aws', 'v1.34.2', 'Provisioning', 'False', '-/3', '-', '-', '30s', '* InfrastructureReady: waiting for AWSCluster'],
      ['dev', 'web', 'local', 'v1.36.3', 'Ready', 'True', '3/3', '4/4', '0123456', '5m', ''],
    ]);
  });

  it('cuts long messages unless wide', () => {
    const long = { ...fresh, status: { ...fresh.status, conditions: [{ type: 'Ready', status: 'False', message: 'x'.repeat(100) }] } };
    expect(clusterRows([long], NOW)[0][10]).toHaveLength(60);
    expect(clusterRows([long], NOW, true)[0][10]).toHaveLength(100);
  });

  it('a cluster without status is Pending with Ready Unknown', () => {
    expect(clusterRows([{ metadata: { name: 'new', namespace: 'p' } }], NOW)[0]).toEqual(['p', 'new', '', '', 'Pending', 'Unknown', '-/0', '-', '-', '<unknown>', '']);
  });

  it('pads columns as kubectl does', () => {
    const text = renderTable(HEADERS, clusterRows([ready], NOW));
    expect(text.split('\n')[0]).toBe('STAGE   NAME   PROVIDER   VERSION   PHASE   READY   NODES   ADDONS   REVISION   AGE   MESSAGE');
    expect(text.split('\n')[1]).toBe('dev     web    local      v1.36.3   Ready   True    3/3     4/4      0123456    5m');
  });

  it('formats ages like kubectl', () => {
    expect(['2026-12-02T11:59:01Z', '2026-12-02T11:00:00Z', '2026-12-02T06:00:00Z', '2026-11-28T12:00:00Z'].map((t) => age(t, NOW))).toEqual(['59s', '60m', '6h', '4d']);
  });
});
