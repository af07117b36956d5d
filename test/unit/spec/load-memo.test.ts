import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadFleet, LoadMemo } from '../../../src/spec/load.js';
import { declarationYaml, writeFleet } from '../../../src/testing.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
const fleetDir = (files: Record<string, string>) => {
  const root = writeFleet(files, 'clusterops-memo-');
  roots.push(root);
  return root;
};
const stage = (spec: string) => `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: staging}\nspec:\n${spec}`;
const followsStage = (name: string) => declarationYaml(name, { omit: ['kubernetesVersion'] });

/** The first revision: two clusters that take their version from stage.yaml, one that sets its own. */
const first = {
  'staging/stage.yaml': stage('  defaults: {kubernetesVersion: v1.33.4}\n'),
  'staging/a.yaml': followsStage('a'),
  'staging/b.yaml': followsStage('b'),
  'staging/c.yaml': declarationYaml('c', { kubernetesVersion: 'v1.34.1' }),
};

/** Loads `second` after `first` with one memo, and checks the result is what a load without it gives (also a partial one). */
async function loadAfterFirst(second: Record<string, string>) {
  const memo = new LoadMemo();
  const before = await loadFleet(fleetDir(first), { memo });
  expect(before.problems).toEqual([]);
  const root = fleetDir(second);
  const withMemo = await loadFleet(root, { memo });
  expect(withMemo).toEqual(await loadFleet(root));
  expect(await loadFleet(root, { memo, partial: true })).toEqual(await loadFleet(root, { partial: true }));
  return withMemo;
}

describe('loadFleet with a LoadMemo (what clusterops ci uses to read the base after the head)', () => {
  it('gives the same fleet as a load of its own, each cluster named by the file it was read from', async () => {
    const r = await loadAfterFirst(first);
    expect(r.fleet!.clusters.map((c) => [c.name, c.spec.kubernetesVersion])).toEqual([['a', 'v1.33.4'], ['b', 'v1.33.4'], ['c', 'v1.34.1']]);
    for (const c of r.fleet!.clusters) expect(c.source.file).toBe(path.join(r.fleet!.root, 'staging', `${c.name}.yaml`));
  });

  it('validates again under a changed stage file: new defaults reach the clusters, a new policy is checked', async () => {
    const changed = await loadAfterFirst({ ...first, 'staging/stage.yaml': stage('  defaults: {kubernetesVersion: v1.35.0}\n') });
    expect(changed.fleet!.clusters.map((c) => c.spec.kubernetesVersion)).toEqual(['v1.35.0', 'v1.35.0', 'v1.34.1']);
    const strict = await loadAfterFirst({
      ...first,
      'staging/stage.yaml': stage('  defaults: {kubernetesVersion: v1.33.4}\n  policy: {minControlPlaneReplicas: 3}\n'),
    });
    expect(strict.fleet).toBeUndefined();
    expect(strict.problems.map((p) => `${path.basename(p.file)}:${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^a\.yaml:\d+: stage "staging" policy requires at least 3 control-plane replicas$/),
      expect.stringMatching(/^b\.yaml:\d+: stage "staging" policy requires at least 3 control-plane replicas$/),
      expect.stringMatching(/^c\.yaml:\d+: stage "staging" policy requires at least 3 control-plane replicas$/),
    ]);
  });

  it('finds a duplicate name between a file it knows and a new one, at the line of the name', async () => {
    const r = await loadAfterFirst({ ...first, 'staging/z-copy.yaml': followsStage('a') });
    expect(r.fleet).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.file).toMatch(/staging\/z-copy\.yaml$/);
    expect(r.problems[0]!.message).toMatch(/^duplicate cluster name "a" in stage "staging" \(also declared in .*staging\/a\.yaml\)$/);
    // The known file second: its problem is placed by parsing it again.
    const known = await loadAfterFirst({ ...first, 'staging/0-new.yaml': followsStage('b') });
    expect(known.problems.map((p) => [path.basename(p.file), p.path, p.line])).toEqual([['b.yaml', 'metadata.name', 4]]);
  });

  it('never takes a cluster for a file whose bytes differ, even by a comment', async () => {
    const r = await loadAfterFirst({ ...first, 'staging/c.yaml': `# moved to 1.35\n${declarationYaml('c', { kubernetesVersion: 'v1.35.0' })}` });
    expect(r.fleet!.clusters.find((c) => c.name === 'c')!.spec.kubernetesVersion).toBe('v1.35.0');
    expect(r.fleet!.clusters.find((c) => c.name === 'c')!.source.line).toBe(2);
  });

  it('keys the stage by folder name too: the same files in another stage folder are validated for that stage', async () => {
    const r = await loadAfterFirst({
      'staging/stage.yaml': first['staging/stage.yaml'],
      'staging/a.yaml': first['staging/a.yaml'],
      'other/a.yaml': declarationYaml('a'),
    });
    expect(r.fleet!.clusters.map((c) => `${c.stage}/${c.name}`)).toEqual(['other/a', 'staging/a']);
  });
});
