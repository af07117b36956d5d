import { describe, expect, it } from 'vitest';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';
import { diffRevisions, fieldChanges } from '../../../src/model/revision-diff.js';

const obj = (kind: string, name: string, spec: Record<string, unknown>, cluster?: string): KubeObject => ({
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind,
  metadata: { name, namespace: 'staging', ...(cluster ? { labels: { 'clusterops.io/cluster': cluster } } : {}) },
  spec,
});
const set = (...objects: KubeObject[]): ManifestSet[] => [{ id: 'management.staging', target: { kind: 'management', stage: 'staging' }, objects }];

describe('diffRevisions', () => {
  it('lists each differing leaf field with its base and head values', () => {
    expect(fieldChanges({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3], d: 'x' } })).toEqual([
      { path: 'b.c[1]', base: 2, head: 3 },
      { path: 'b.d', head: 'x' },
    ]);
  });

  it('names the clusters a ClusterClass change touches, and attributes cluster objects to their cluster', () => {
    const base = set(
      obj('ClusterClass', 'docker-default', { workers: 1 }),
      obj('ClusterClass', 'aws-default', { workers: 1 }),
      obj('Cluster', 'a', { topology: { classRef: { name: 'docker-default' } } }, 'a'),
      obj('Cluster', 'b', { topology: { classRef: { name: 'aws-default' } } }, 'b'),
    );
    const head = set(
      obj('ClusterClass', 'docker-default', { workers: 2 }),
      obj('ClusterClass', 'aws-default', { workers: 1 }),
      obj('Cluster', 'a', { topology: { classRef: { name: 'docker-default' } } }, 'a'),
      obj('Cluster', 'b', { topology: { classRef: { name: 'aws-default' } } }, 'b'),
      obj('Cluster', 'c', { topology: { classRef: { name: 'docker-default' } } }, 'c'),
    );
    const { changes } = diffRevisions(base, head);
    expect(changes.map((c) => `${c.action} ${c.kind}/${c.name} ${c.cluster ?? '(stage)'} [${c.touches.join(',')}]`)).toEqual([
      'changed ClusterClass/docker-default (stage) [a,c]',
      'created Cluster/c c []',
    ]);
    expect(changes[0]!.fields).toEqual([{ path: 'spec.workers', base: 1, head: 2 }]);
  });
});
