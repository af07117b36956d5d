import { describe, expect, it } from 'vitest';
import { clusterSummary } from '../../../src/model/cluster-summary.js';

describe('cluster summary', () => {
  it('takes the stage from its label, the teams from the team label and the team-namespaces add-on', () => {
    const s = clusterSummary({
      metadata: { name: 'pay', namespace: 'production', labels: { 'clusterops.io/stage': 'production', team: 'payments' } },
      spec: { provider: 'aws', kubernetesVersion: 'v1.34.2', addons: { 'team-namespaces': { teams: [{ name: 'payments' }, { name: 'risk' }] } } },
      status: { phase: 'Degraded', revision: 'abc', conditions: [{ type: 'Ready', status: 'False', message: 'clusters/production/pay.yaml:8:3:\n  bad' }] },
    });
    expect(s).toMatchObject({ key: 'production/pay', stage: 'production', teams: ['payments', 'risk'], phase: 'Degraded', ready: 'False', message: 'clusters/production/pay.yaml:8:3: bad' });
  });

  it('says Pending and Unknown before any status', () => {
    expect(clusterSummary({ metadata: { name: 'new', namespace: 'dev' } })).toMatchObject({ stage: 'dev', phase: 'Pending', ready: 'Unknown', nodes: '-/0', addons: '-', revision: '', teams: [] });
  });
});
