import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../../../src/apply/change-set.js';
import { leftOfOrphanedStage } from '../../../src/reconciler/orphan-prune.js';
import { readinessMessage } from '../../../src/reconciler/reconciler-process.js';

describe('readinessMessage', () => {
  it('names the revision with how far it is applied, and the failing sets, never a refused one as done', () => {
    expect(readinessMessage({ applied: 0, total: 0, failing: [] })).toBe('leading; no revision synthesized yet');
    expect(readinessMessage({ revision: 'abc', applied: 3, total: 3, failing: [] })).toBe('leading; revision abc: 3/3 sets applied');
    expect(readinessMessage({ revision: 'abc', applied: 2, total: 3, failing: ['management.prod: mass prune refused'] })).toBe(
      'leading; revision abc: 2/3 sets applied; failing: management.prod: mass prune refused',
    );
  });
});

describe('leftOfOrphanedStage', () => {
  const live = [{ name: 'a' }, { name: 'b' }];
  it('a refused or failed prune leaves every live cluster of the stage, each saying why', () => {
    const cs = new ChangeSet();
    cs.fail('management.old', 'refusing to prune 9 of 9 objects (more than 50%); pass --allow-mass-prune');
    expect(leftOfOrphanedStage('old', cs, live)).toEqual([
      ['a', 'prune of stage old not done: refusing to prune 9 of 9 objects (more than 50%); pass --allow-mass-prune'],
      ['b', 'prune of stage old not done: refusing to prune 9 of 9 objects (more than 50%); pass --allow-mass-prune'],
    ]);
  });
  it('a prune that ran leaves only the mirrors it kept', () => {
    const cs = new ChangeSet();
    cs.add('management.old', { group: 'clusterops.io', kind: 'WorkloadCluster', namespace: 'old', name: 'a' }, 'skipped', { reason: 'deletion protection' });
    cs.add('management.old', { group: 'clusterops.io', kind: 'WorkloadCluster', namespace: 'old', name: 'b' }, 'deleted');
    expect(leftOfOrphanedStage('old', cs, live)).toEqual([['a', 'deletion protection']]);
  });
});
