import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/spec/load.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

/** A cluster with `n` labels `k0: v` … under metadata, one per line from line 6 on. */
function manyLabels(n: number, extra = ''): string {
  const lines = Array.from({ length: n }, (_, i) => `    k${i}: v`).join('\n');
  return clusterYaml('a', DOCKER_SPEC).replace('  name: a\n', `  name: a\n  labels:\n${lines}\n${extra}`);
}

/** A second file with an ordinary problem: the run must still reach it and report it. */
const NEIGHBOUR = { 's/z.yaml': clusterYaml('z', DOCKER_SPEC.replace('docker', 'gcp')) };

async function problemsOf(files: Record<string, string | Buffer>): Promise<string[]> {
  const root = fleetDir({ ...files, ...NEIGHBOUR });
  const { fleet, problems } = await loadFleet(root);
  expect(fleet).toBeUndefined();
  const lines = problems.map((p) => formatProblem({ ...p, file: p.file.slice(root.length + 1) }));
  // Every hostile file leaves the rest of the run intact: the neighbour's problem is there too.
  expect(lines).toContain('s/z.yaml:6:13: spec.provider: unknown provider; expected one of docker, aws, azure, local');
  return lines.filter((l) => !l.startsWith('s/z.yaml'));
}

describe('bounded parsing: a hostile file gets one clear problem and the run goes on', () => {
  it('a file over the size limit is not parsed', async () => {
    const big = clusterYaml('a', DOCKER_SPEC) + `# ${'x'.repeat(1024 * 1024)}\n`;
    expect(await problemsOf({ 's/a.yaml': big })).toEqual([expect.stringMatching(/^s\/a\.yaml:1:1: file is 1\.0 MiB \(\d+ bytes\); a declaration file may be at most 1 MiB$/)]);
  });

  it('flow collections nested deeper than the limit (which overflowed the parser) are refused at their line', async () => {
    const deep = clusterYaml('a', DOCKER_SPEC) + `  addons: {x: ${'['.repeat(20_000)}${']'.repeat(20_000)}}\n`;
    expect(await problemsOf({ 's/a.yaml': deep })).toEqual([expect.stringMatching(/^s\/a\.yaml:11:\d+: YAML nesting is deeper than 64 levels/)]);
  });

  it('block sequences nested on one line (- - - …) count as nesting too', async () => {
    const deep = clusterYaml('a', DOCKER_SPEC) + `  addons:\n    x:\n      ${'- '.repeat(5_000)}x\n`;
    expect(await problemsOf({ 's/a.yaml': deep })).toEqual([expect.stringMatching(/^s\/a\.yaml:13:\d+: YAML nesting is deeper than 64 levels/)]);
  });

  it('more aliases than the limit are refused at the first one over it', async () => {
    const refs = Array.from({ length: 150 }, (_, i) => `    r${i}: *v`).join('\n');
    const text = clusterYaml('a', DOCKER_SPEC).replace('  name: a\n', `  name: a\n  labels:\n    v: &v x\n${refs}\n`);
    expect(await problemsOf({ 's/a.yaml': text })).toEqual([expect.stringMatching(/^s\/a\.yaml:107:\d+: more than 100 YAML aliases in one file/)]);
  });

  it('an alias bomb (few aliases, exponential expansion) is a problem, not a crash', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)];
    const text = clusterYaml('a', DOCKER_SPEC) + `  addons:\n${bomb.map((l) => `    ${l}`).join('\n')}\n`;
    expect(await problemsOf({ 's/a.yaml': text })).toEqual([expect.stringMatching(/^s\/a\.yaml:13:\d+: YAML aliases expand too much/)]);
  });

  it('a duplicate key among thousands is reported by name at its line', async () => {
    expect(await problemsOf({ 's/a.yaml': manyLabels(5_000, '    k17: w\n') })).toEqual([
      's/a.yaml:5006:5: duplicate key "k17" (first at line 23)',
    ]);
  });

  it('duplicate keys in flow mappings and at the top are reported too', async () => {
    const text = clusterYaml('a', DOCKER_SPEC.replace('{replicas: 1}', '{replicas: 1, replicas: 3}')) + 'kind: WorkloadCluster\n';
    expect(await problemsOf({ 's/a.yaml': text })).toEqual([
      's/a.yaml:8:31: duplicate key "replicas" (first at line 8)',
      's/a.yaml:11:1: duplicate key "kind" (first at line 2)',
    ]);
  });

  it('thousands of distinct keys load', async () => {
    const root = fleetDir({ 's/a.yaml': manyLabels(5_000) });
    const { fleet, problems } = await loadFleet(root);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(Object.keys(fleet!.clusters[0].labels)).toHaveLength(5_000);
  });
});

describe('errors never echo more than about 200 characters of a value', () => {
  const long = 'v'.repeat(100_000);
  it.each([
    ['a long name', clusterYaml(long, DOCKER_SPEC)],
    ['a long version', clusterYaml('a', DOCKER_SPEC.replace('v1.34.2', long))],
    ['a long unknown key', clusterYaml('a', DOCKER_SPEC + `  ? ${long}\n  : 1\n`)],
    ['a long duplicate key', clusterYaml('a', DOCKER_SPEC + `  ? ${long}\n  : 1\n  ? ${long}\n  : 2\n`)],
    ['a long kind', clusterYaml('a', DOCKER_SPEC).replace('kind: WorkloadCluster', `kind: ${long}`)],
    ['a long CIDR', clusterYaml('a', DOCKER_SPEC + `  network: {podCIDRs: [${long}], serviceCIDRs: [10.96.0.0/12]}\n`)],
    ['a long replicas string', clusterYaml('a', DOCKER_SPEC.replace('replicas: 2}', `replicas: "${long}"}`))],
  ])('%s', async (_, text) => {
    const lines = await problemsOf({ 's/a.yaml': text });
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).toContain('…');
      expect(l.length, l.slice(0, 300)).toBeLessThan(500);
    }
  });
});
