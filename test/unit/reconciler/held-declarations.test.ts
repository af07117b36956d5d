import { describe, expect, it } from 'vitest';
import type { BlockedDeclaration } from '../../../src/model/blocked-declaration.js';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';
import { blockedStagesOf, carryBlocked, retainBlocked } from '../../../src/reconciler/held-declarations.js';

const OLD = 'b'.repeat(40);
const PROBLEM = { file: 'clusters/prod/b.yaml', line: 8, column: 17, path: 'spec.controlPlane.replicas', message: 'expected a number' };
const labelled = (kind: string, name: string, cluster?: string): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'prod', labels: { 'clusterops.io/stage': 'prod', ...(cluster ? { 'clusterops.io/cluster': cluster } : {}) } },
});
const management = (...objects: KubeObject[]): ManifestSet => ({ id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects });
const addons = (cluster: string, version: string): ManifestSet => ({
  id: `addons.prod.${cluster}`,
  target: { kind: 'workload', stage: 'prod', cluster },
  objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: version } }],
});
const cluster = (name: string) => [labelled('WorkloadCluster', name, name), labelled('Cluster', name, name)];

const previous = {
  revision: OLD,
  sets: new Map([
    ['management.prod', management(labelled('ClusterClass', 'docker'), labelled('ClusterClass', 'aws'), ...cluster('a'), ...cluster('b'))],
    ['addons.prod.a', addons('a', 'old')],
    ['addons.prod.b', addons('b', 'old')],
  ]),
  held: [],
};

describe('carryBlocked', () => {
  it('keeps a blocked cluster (its objects, its add-on set, the shared objects the new set lost) as the previous revision had them', () => {
    const blocked: BlockedDeclaration[] = [{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }];
    const { sets, held } = carryBlocked([management(labelled('ClusterClass', 'docker'), ...cluster('a')), addons('a', 'new')], blocked, previous);
    const mgmt = sets.find((s) => s.id === 'management.prod')!;
    expect(mgmt.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterClass/docker',
      'WorkloadCluster/a',
      'Cluster/a',
      'ClusterClass/aws',
      'WorkloadCluster/b',
      'Cluster/b',
    ]);
    expect(sets.find((s) => s.id === 'addons.prod.a')!.objects[0].metadata.name).toBe('new');
    expect(sets.find((s) => s.id === 'addons.prod.b')!.objects[0].metadata.name).toBe('old');
    expect(held).toEqual([{ stage: 'prod', name: 'b', revision: OLD, blocked: blocked[0] }]);
  });

  it('a cluster removed from git in the same revision is not carried: only blocked ones are', () => {
    const blocked: BlockedDeclaration[] = [{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }];
    const { sets } = carryBlocked([management(labelled('ClusterClass', 'docker'))], blocked, previous);
    expect(sets.find((s) => s.id === 'management.prod')!.objects.map((o) => o.metadata.name)).toEqual(['docker', 'aws', 'b', 'b']);
    expect(sets.map((s) => s.id)).toEqual(['addons.prod.b', 'management.prod']);
  });

  it('a blocked stage keeps all its sets as they were, whatever the revision emitted for it', () => {
    const blocked: BlockedDeclaration[] = [{ stage: 'prod', problems: [{ ...PROBLEM, file: 'clusters/prod/stage.yaml' }] }];
    const { sets, held } = carryBlocked([management(labelled('Namespace', 'prod'))], blocked, previous);
    expect(sets).toEqual([...previous.sets.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(held.map((h) => [h.name, h.revision])).toEqual([
      ['a', OLD],
      ['b', OLD],
    ]);
  });

  it('a cluster held before stays on the revision it was held at, not the one before this', () => {
    const blocked: BlockedDeclaration[] = [{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }];
    const first = carryBlocked([management(...cluster('a'))], blocked, previous);
    const second = carryBlocked([management(...cluster('a'))], blocked, { revision: 'c'.repeat(40), sets: new Map(first.sets.map((s) => [s.id, s])), held: first.held });
    expect(second.held.map((h) => h.revision)).toEqual([OLD]);
  });

  it('with no previous revision (a restart) nothing can be carried, and nothing is invented', () => {
    const { sets, held } = carryBlocked([management(...cluster('a'))], [{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }], undefined);
    expect(sets.map((s) => s.id)).toEqual(['management.prod']);
    expect(held).toEqual([]);
  });
});

describe('retainBlocked', () => {
  it('keeps the blocked cluster and the shared objects from prune, naming file and line; others prune as usual', () => {
    const retain = retainBlocked([{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }], 'prod')!;
    expect(retain({ 'clusterops.io/cluster': 'b' })).toBe('kept: the declaration of cluster b does not validate (clusters/prod/b.yaml:8)');
    expect(retain({ 'clusterops.io/stage': 'prod' })).toMatch(/^kept while a declaration of stage prod does not validate/);
    expect(retain({ 'clusterops.io/cluster': 'gone' })).toBeUndefined();
    expect(retainBlocked([{ stage: 'prod', clusters: ['b'], problems: [PROBLEM] }], 'staging')).toBeUndefined();
  });

  it('names the stages blocked whole (not those with only a blocked cluster), for the orphan prune', () => {
    expect(blockedStagesOf([{ stage: 'prod', problems: [PROBLEM] }, { stage: 'dev', clusters: ['a'], problems: [PROBLEM] }])).toEqual(new Set(['prod']));
  });
});
