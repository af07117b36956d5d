import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/spec/problem.js';
import { loadStagesOffLoop } from '../../../src/spec/read-off-loop.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

/** The worker runs this repository's TypeScript sources here (from dist/ it needs nothing). */
const FROM_SOURCES = ['--import', fileURLToPath(new URL('../../integration/_ts-register.mjs', import.meta.url))];
const STAGE = (name: string, extra = '') => `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${name}}\n${extra}`;

describe('loadStagesOffLoop: the reconciler reads stage policies in a worker thread', () => {
  it('returns each stage with its admission grants', async () => {
    const root = fleetDir({
      's/a.yaml': clusterYaml('a', DOCKER_SPEC),
      's/stage.yaml': STAGE('s', 'spec:\n  admission: {management: [{group: "", kind: ConfigMap}]}\n'),
      't/b.yaml': clusterYaml('b', DOCKER_SPEC),
    });
    const r = await loadStagesOffLoop(root, { execArgv: FROM_SOURCES });
    expect(r.problems).toEqual([]);
    expect(r.stages?.map((s) => [s.name, s.admission?.management?.map((g) => g.kind) ?? []])).toEqual([
      ['s', ['ConfigMap']],
      ['t', []],
    ]);
  });

  it('reports hostile stage files by name, never reading them whole', async () => {
    const root = fleetDir({
      'deep/stage.yaml': `x: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`, // 1 MiB: its whole CST outgrew a 256 MiB heap
      'big/stage.yaml': `x: "${'x'.repeat(2 * 1024 * 1024)}"\n`,
      'zero/a.yaml': clusterYaml('a', DOCKER_SPEC),
    });
    symlinkSync('/dev/zero', path.join(root, 'zero/stage.yaml'));
    const r = await loadStagesOffLoop(root, { execArgv: FROM_SOURCES });
    expect(r.stages).toEqual([]);
    expect(r.blockedStages).toEqual(['big', 'deep', 'zero']);
    expect(r.problems.map((p) => formatProblem({ ...p, file: path.relative(root, p.file) }))).toEqual([
      expect.stringMatching(/^big\/stage\.yaml:1:1: file is 2\.0 MiB/),
      expect.stringMatching(/^deep\/stage\.yaml:1:\d+: YAML nesting is deeper than 64 levels/),
      'zero/stage.yaml:1:1: a symlink to /dev/zero, outside the clusters folder; not read (copy the file in instead)',
    ]);
  });

  it('rejects a clusters folder that does not exist', async () => {
    await expect(loadStagesOffLoop('/nonexistent/clusters', { execArgv: FROM_SOURCES })).rejects.toThrow(/does not exist or is not a folder/);
  });
});
