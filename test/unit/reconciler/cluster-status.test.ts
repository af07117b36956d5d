import { describe, expect, it } from 'vitest';
import type { ClusterApiFacts } from '../../../src/reconciler/cluster-api-facts.js';
import { clusterStatus, removedStatus, type StatusFacts } from '../../../src/reconciler/cluster-status.js';

const REV = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

/** A Cluster that Cluster API reports Available, with 3 of 3 workers ready. */
const AVAILABLE: ClusterApiFacts = {
  phase: 'Provisioned',
  available: { status: 'True', reason: 'Available' },
  version: 'v1.34.2',
  controlPlane: { desired: 1, ready: 1 },
  workers: { desired: 3, ready: 3 },
  deleting: false,
};

/** The phase while Cluster API's counters disagree with its Available condition. */
const PHASE_WHILE_COUNTING = 'Unavailable';

/** A cluster whose management set and add-ons are applied and healthy at REV. */
function facts(overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    goodRevision: REV,
    lastFetched: REV,
    suspended: false,
    management: { inSync: true, appliedRevision: REV, appliedAt: '2026-12-02T05:00:00Z', counts: { created: 3 } },
    addons: { inSync: true, appliedRevision: REV, health: { ready: 2, total: 2, notReady: [] }, counts: { created: 2 } },
    clusterApi: AVAILABLE,
    ...overrides,
  };
}

const condition = (f: StatusFacts, type: string) => clusterStatus(f).conditions.find((c) => c.type === type)!;

describe('clusterStatus', () => {
  it('is Ready at the good revision when both sets are applied and the add-ons healthy', () => {
    const s = clusterStatus(facts());
    expect(s.phase).toBe('Ready');
    expect(s.revision).toBe(REV);
    expect(s.lastChangeSet).toEqual({ created: 5 });
    expect(s.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Ready'],
      ['Synced', 'True', 'Applied'],
      ['ClusterAvailable', 'True', 'Available'],
      ['AddonsReady', 'True', 'Healthy'],
    ]);
    expect(s.cluster).toEqual({ phase: 'Provisioned', version: 'v1.34.2', controlPlane: { desired: 1, ready: 1 }, workers: { desired: 3, ready: 3 } });
  });

  // Each row: what Cluster API says, the phase, the ClusterAvailable status and reason, the Ready reason.
  const clusterRows: Array<[string, ClusterApiFacts | null | undefined, string, string, string, string]> = [
    ['not read yet', undefined, 'Provisioning', 'Unknown', 'NotObserved', 'NotObserved'],
    ['no Cluster object', null, 'Provisioning', 'Unknown', 'ClusterNotFound', 'ClusterNotFound'],
    ['an empty status (no Cluster API controllers)', { deleting: false }, 'Provisioning', 'Unknown', 'NoClusterAPIStatus', 'NoClusterAPIStatus'],
    [
      'provisioning',
      { deleting: false, phase: 'Provisioning', available: { status: 'False', reason: 'NotAvailable', message: '* ControlPlaneAvailable: not yet' } },
      'Provisioning',
      'False',
      'NotAvailable',
      'NotAvailable',
    ],
    ['provisioned once, not available now', { ...AVAILABLE, available: { status: 'False', reason: 'NotAvailable' } }, 'Unavailable', 'False', 'NotAvailable', 'NotAvailable'],
    ['deleting', { ...AVAILABLE, deleting: true }, 'Deleting', 'False', 'Deleting', 'Deleting'],
    ['Available while it counts no ready worker of 3', { ...AVAILABLE, workers: { desired: 3, ready: 0 } }, PHASE_WHILE_COUNTING, 'Unknown', 'Counting', 'Counting'],
    ['Available while it counts no ready control-plane replica', { ...AVAILABLE, controlPlane: { desired: 1 } }, PHASE_WHILE_COUNTING, 'Unknown', 'Counting', 'Counting'],
  ];
  it('is Ready when Cluster API says Available with no worker wanted (scaled to zero)', () => {
    expect(clusterStatus(facts({ clusterApi: { ...AVAILABLE, workers: { desired: 0, ready: 0 } } })).conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  for (const [name, clusterApi, phase, status, reason, readyReason] of clusterRows) {
    it(`is not Ready while Cluster API's Cluster is ${name}`, () => {
      const s = clusterStatus(facts({ clusterApi }));
      expect(s.phase).toBe(phase);
      expect(condition(facts({ clusterApi }), 'ClusterAvailable')).toMatchObject({ status, reason });
      expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: readyReason });
      expect(s.revision).toBe(REV);
    });
  }

  it("passes Cluster API's own message on", () => {
    const f = facts({ clusterApi: { deleting: false, available: { status: 'False', reason: 'NotAvailable', message: '* WorkersAvailable: 1 of 3 ready' } } });
    expect(condition(f, 'ClusterAvailable').message).toBe('* WorkersAvailable: 1 of 3 ready');
    expect(clusterStatus(f).conditions[0].message).toBe('* WorkersAvailable: 1 of 3 ready');
  });

  it('without add-ons, AddonsReady is True with NoAddons', () => {
    expect(condition(facts({ addons: undefined }), 'AddonsReady')).toMatchObject({ status: 'True', reason: 'NoAddons' });
    expect(clusterStatus(facts({ addons: undefined })).phase).toBe('Ready');
  });

  // Each row: facts, phase, the Synced reason, the AddonsReady reason, the revision reported.
  const rows: Array<[string, Partial<StatusFacts>, string, string, string, string | undefined]> = [
    ['fetch failing keeps the applied revision', { fetchError: 'fetch failed: timeout' }, 'Degraded', 'FetchFailed', 'Healthy', REV],
    ['a newer revision rejected', { lastFetched: OLD, rejected: { revision: OLD, error: 'x.yaml:3: bad' } }, 'Degraded', 'RevisionRejected', 'Healthy', REV],
    ["a newer revision whose stack's up failed", { lastFetched: OLD, rejected: { revision: OLD, error: 'pulumi up of stack m failed: forbidden', phase: 'pulumi' } }, 'Degraded', 'StackUpFailed', 'Healthy', REV],
    ['management apply failing', { management: { inSync: false, lastError: 'conflict', appliedRevision: OLD } }, 'Degraded', 'ApplyFailed', 'Healthy', OLD],
    ['management apply failing before anything applied', { management: { inSync: false, lastError: 'conflict' } }, 'Failed', 'ApplyFailed', 'Healthy', undefined],
    ['management not applied yet', { management: { inSync: false } }, 'Pending', 'Progressing', 'Healthy', undefined],
    ['management of the new revision in flight', { management: { inSync: false, appliedRevision: OLD } }, 'Progressing', 'Progressing', 'Healthy', OLD],
    ['waiting for the kubeconfig Secret', { addons: { inSync: false, waiting: 'waiting for Secret s/c-kubeconfig' } }, 'Progressing', 'Applied', 'WaitingForKubeconfig', REV],
    ['add-ons failing', { addons: { inSync: false, lastError: 'refused' } }, 'Degraded', 'Applied', 'ApplyFailed', REV],
    ['add-ons applied, not healthy', { addons: { inSync: true, health: { ready: 1, total: 2, notReady: ['Deployment/x: InProgress'] } } }, 'Progressing', 'Applied', 'NotReady', REV],
    ['suspended', { suspended: true, addons: { inSync: true, waiting: 'suspended' } }, 'Suspended', 'Applied', 'Suspended', REV],
  ];
  for (const [name, overrides, phase, synced, addons, revision] of rows) {
    it(name, () => {
      const f = facts(overrides);
      const s = clusterStatus(f);
      expect(s.phase).toBe(phase);
      expect(condition(f, 'Synced').reason).toBe(synced);
      expect(condition(f, 'AddonsReady').reason).toBe(addons);
      expect(s.revision).toBe(revision);
      expect(condition(f, 'Ready').status).toBe(phase === 'Ready' ? 'True' : 'False');
      expect(!!s.lastError).toBe(phase === 'Degraded' || phase === 'Failed');
    });
  }

  it('a rejected revision names itself and its error in Synced and lastError; attemptedRevision is the newest fetched', () => {
    const s = clusterStatus(facts({ lastFetched: OLD, rejected: { revision: OLD, error: 'clusters/p/x.yaml:3:5: spec.region: required' } }));
    expect(s.attemptedRevision).toBe(OLD);
    expect(s.lastError).toBe(`revision ${OLD.slice(0, 12)} rejected: clusters/p/x.yaml:3:5: spec.region: required`);
    expect(s.conditions[0]).toMatchObject({ reason: 'RevisionRejected' });
  });

  it('a suspended cluster is never Ready and says so', () => {
    const ready = clusterStatus(facts({ suspended: true }));
    expect(ready.phase).toBe('Suspended');
    expect(ready.conditions[0]).toMatchObject({ status: 'False', reason: 'Suspended' });
  });
});

describe('removedStatus', () => {
  it('says the declaration is gone and why the objects stay', () => {
    const s = removedStatus('deletion protection');
    expect(s.phase).toBe('Removed');
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'DeclarationRemoved', message: 'its declaration was removed from git; kept: deletion protection' });
  });
});

describe('clusterStatus of a held or suspended cluster: the revision it is really on, and which one waits', () => {
  const CHANGE = { action: 'changed' as const, kind: 'Cluster', name: 'a', where: 'management' as const, fields: [{ path: 'spec.topology.version', from: '"v1.33.1"', to: '"v1.34.0"' }] };
  const PROBLEM = { file: 'clusters/prod/b.yaml', line: 8, column: 17, path: 'spec.controlPlane.replicas', message: 'expected a number' };

  it('a cluster whose declaration does not validate says file:line, stays on its revision and names the waiting one', () => {
    const s = clusterStatus(facts({ held: { revision: OLD, problems: [PROBLEM, { ...PROBLEM, line: 9 }] } }));
    const synced = s.conditions.find((c) => c.type === 'Synced')!;
    expect([synced.status, synced.reason]).toEqual(['False', 'DeclarationInvalid']);
    expect(synced.message).toBe(
      `clusters/prod/b.yaml:8:17: spec.controlPlane.replicas: expected a number (and 1 more problem); revision ${REV.slice(0, 12)} is not applied to this cluster, it stays on revision ${OLD.slice(0, 12)}`,
    );
    expect(s.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'DeclarationInvalid' });
    expect(s.revision).toBe(OLD);
    expect(s.waitingRevision).toBe(REV);
    expect(s.phase).toBe('Degraded');
    expect(s.problems).toEqual([
      { file: 'clusters/prod/b.yaml', line: 8, column: 17, field: 'spec.controlPlane.replicas', message: 'expected a number' },
      { file: 'clusters/prod/b.yaml', line: 9, column: 17, field: 'spec.controlPlane.replicas', message: 'expected a number' },
    ]);
  });

  it('held with nothing known of what it is on (after a restart) takes the revision its status had', () => {
    const s = clusterStatus(facts({ held: { problems: [PROBLEM] }, lastRevision: OLD }));
    expect(s.revision).toBe(OLD);
    expect(s.conditions.find((c) => c.type === 'Synced')!.message).toMatch(/stays on revision b{12}$/);
  });

  it('a suspended cluster stays on the revision it had and says which one waits', () => {
    const s = clusterStatus(facts({ suspended: true, lastRevision: OLD, addons: { inSync: true, waiting: 'suspended', health: { ready: 2, total: 2, notReady: [] } } }));
    expect(s.phase).toBe('Suspended');
    expect(s.revision).toBe(OLD);
    expect(s.waitingRevision).toBe(REV);
    // Not "applied": its objects are still those of the revision it stays on.
    expect(s.conditions.find((c) => c.type === 'Synced')).toMatchObject({
      status: 'Unknown',
      reason: 'Suspended',
      message: `reconciling is suspended; revision ${REV.slice(0, 12)} waits, the cluster stays on revision ${OLD.slice(0, 12)}`,
    });
  });

  it('a suspended cluster already at the newest revision has nothing waiting', () => {
    const s = clusterStatus(facts({ suspended: true, lastRevision: REV, waitingChanges: { changes: [CHANGE], more: 0 } }));
    expect(s.waitingRevision).toBeUndefined();
    expect(s.waitingChanges).toBeUndefined();
  });

  it('a suspended cluster with a revision waiting lists what it would change, and how many more', () => {
    const s = clusterStatus(facts({ suspended: true, lastRevision: OLD, waitingChanges: { changes: [CHANGE], more: 3 } }));
    expect(s.waitingChanges).toEqual([CHANGE]);
    expect(s.waitingChangesMore).toBe(3);
    expect(clusterStatus(facts({ suspended: true, lastRevision: OLD, waitingChanges: { changes: [CHANGE], more: 0 } })).waitingChangesMore).toBeUndefined();
  });

  it('history gains an entry when the revision changes, newest first, at most 10', () => {
    const history = Array.from({ length: 10 }, (_, i) => ({ revision: `${i}`.repeat(40), appliedAt: '2026-12-01T00:00:00Z' }));
    const s = clusterStatus(facts({ history, now: '2026-12-02T10:00:00Z' }));
    expect(s.history?.[0]).toEqual({ revision: REV, appliedAt: '2026-12-02T10:00:00Z' });
    expect(s.history).toHaveLength(10);
    expect(clusterStatus(facts({ history: s.history, now: '2026-12-02T11:00:00Z' })).history).toEqual(s.history);
    expect(clusterStatus(facts({ held: { revision: OLD, problems: [PROBLEM] }, history: [{ revision: OLD }] })).history).toEqual([{ revision: OLD }]);
  });
});
