import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/spec/problem.js';
import { readFleetDocuments } from '../../../src/spec/read-off-loop.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

/** The worker runs this repository's TypeScript sources here (from dist/ it needs nothing). */
const FROM_SOURCES = ['--import', fileURLToPath(new URL('../../integration/_ts-register.mjs', import.meta.url))];

describe('readFleetDocuments: the reconciler reads declarations in a worker thread', () => {
  it('returns each document as written, by stage and file', async () => {
    const root = fleetDir({ 's/a.yaml': clusterYaml('a', DOCKER_SPEC), 's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n' });
    const r = await readFleetDocuments(root, { execArgv: FROM_SOURCES });
    expect(r.problems).toEqual([]);
    expect(r.documents.map((d) => [d.stage, path.basename(d.file), (d.value as { kind: string }).kind])).toEqual([
      ['s', 'a.yaml', 'WorkloadCluster'],
      ['s', 'stage.yaml', 'Stage'],
    ]);
  });

  it('reports hostile files by name and still returns the others', async () => {
    const root = fleetDir({
      's/a.yaml': clusterYaml('a', DOCKER_SPEC),
      's/deep.yaml': `x: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`, // 1 MiB: its whole CST outgrew the worker's 256 MiB heap
      's/big.yaml': `x: "${'x'.repeat(2 * 1024 * 1024)}"\n`,
    });
    symlinkSync('/dev/zero', path.join(root, 's/zero.yaml'));
    const r = await readFleetDocuments(root, { execArgv: FROM_SOURCES });
    expect(r.documents.map((d) => path.basename(d.file))).toEqual(['a.yaml']);
    expect(r.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))).toEqual([
      expect.stringMatching(/^big\.yaml:1:1: file is 2\.0 MiB/),
      expect.stringMatching(/^deep\.yaml:1:\d+: YAML nesting is deeper than 64 levels/),
      'zero.yaml:1:1: a symlink to /dev/zero, outside the clusters folder; not read (copy the file in instead)',
    ]);
  });

  it('rejects a clusters folder that does not exist', async () => {
    await expect(readFleetDocuments('/nonexistent/clusters', { execArgv: FROM_SOURCES })).rejects.toThrow(/does not exist or is not a folder/);
  });
});
