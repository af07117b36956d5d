import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/spec/load.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

const STAGE = (name: string, extra = '  defaults: {}\n') => `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\nspec:\n${extra}`;
const BAD_SPEC = DOCKER_SPEC.replace('replicas: 1}', 'replicas: one}');
const rel = (root: string, file: string) => path.relative(root, file);

describe('loadFleet with partial: one bad file never holds up the rest', () => {
  it('leaves out only the cluster whose file does not validate, naming it by declared and file name', async () => {
    const root = fleetDir({
      'prod/a.yaml': clusterYaml('a', DOCKER_SPEC),
      'prod/b-file.yaml': clusterYaml('b', BAD_SPEC),
      'staging/c.yaml': clusterYaml('c', DOCKER_SPEC),
    });
    const r = await loadFleet(root, { partial: true });
    expect(r.fleet?.clusters.map((c) => `${c.stage}/${c.name}`)).toEqual(['prod/a', 'staging/c']);
    expect(r.fleet?.stages.map((s) => s.name)).toEqual(['prod', 'staging']);
    expect(r.blocked).toHaveLength(1);
    expect(r.blocked[0].stage).toBe('prod');
    expect(r.blocked[0].clusters).toEqual(['b', 'b-file']);
    expect(r.blocked[0].problems.map((p) => [rel(root, p.file), p.line, p.path])).toEqual([['prod/b-file.yaml', 8, 'spec.controlPlane.replicas']]);
    expect(r.problems).toEqual(r.blocked[0].problems);
  });

  it('without partial, the same folder gives no fleet at all (validate, synth and apply stay all-or-nothing)', async () => {
    const root = fleetDir({ 'prod/a.yaml': clusterYaml('a', DOCKER_SPEC), 'prod/b.yaml': clusterYaml('b', BAD_SPEC) });
    const r = await loadFleet(root);
    expect(r.fleet).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.blocked).toEqual([]);
  });

  it('a bad stage.yaml, or a file of the stage that is not read, leaves out that whole stage only', async () => {
    const root = fleetDir({
      'prod/stage.yaml': STAGE('prod', '  defualts: {}\n'),
      'prod/a.yaml': clusterYaml('a', DOCKER_SPEC),
      'dev/a.yaml': clusterYaml('a', DOCKER_SPEC),
      'dev/notes.txt': 'hello\n',
      'staging/c.yaml': clusterYaml('c', DOCKER_SPEC),
    });
    const r = await loadFleet(root, { partial: true });
    expect(r.fleet?.clusters.map((c) => `${c.stage}/${c.name}`)).toEqual(['staging/c']);
    expect(r.fleet?.stages.map((s) => s.name)).toEqual(['staging']);
    expect(r.blocked.map((b) => [b.stage, b.clusters, b.problems.map((p) => `${rel(root, p.file)}:${p.line}`)])).toEqual([
      ['dev', undefined, ['dev/notes.txt:1']],
      ['prod', undefined, ['prod/stage.yaml:5']],
    ]);
  });

  it('a problem of the clusters folder itself leaves no fleet: it belongs to no stage', async () => {
    const root = fleetDir({ 'prod/a.yaml': clusterYaml('a', DOCKER_SPEC), 'stray.yaml': clusterYaml('x', DOCKER_SPEC) });
    const r = await loadFleet(root, { partial: true });
    expect(r.fleet).toBeUndefined();
    expect(r.problems.map((p) => rel(root, p.file))).toEqual(['stray.yaml']);
  });

  it('two files declaring one name: neither is applied, the name is blocked', async () => {
    const root = fleetDir({ 'prod/a.yaml': clusterYaml('a', DOCKER_SPEC), 'prod/a-copy.yaml': clusterYaml('a', DOCKER_SPEC), 'prod/z.yaml': clusterYaml('z', DOCKER_SPEC) });
    const r = await loadFleet(root, { partial: true });
    expect(r.fleet?.clusters.map((c) => c.name)).toEqual(['z']);
    expect(r.blocked.map((b) => b.clusters)).toEqual([['a']]);
    expect(r.blocked[0].problems[0].message).toMatch(/duplicate cluster name "a"/);
  });

  it('a file that is not even YAML is blocked under its file name', async () => {
    const root = fleetDir({ 'prod/a.yaml': clusterYaml('a', DOCKER_SPEC), 'prod/broken.yaml': 'metadata: [\n' });
    const r = await loadFleet(root, { partial: true });
    expect(r.fleet?.clusters.map((c) => c.name)).toEqual(['a']);
    expect(r.blocked.map((b) => b.clusters)).toEqual([['broken']]);
  });
});
