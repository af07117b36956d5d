import { deepFreeze } from '../../../src/model/deep-freeze.js';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';
import { toYaml, writeManifestSets } from '../../../src/synth/serialize.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { generatedFleet } from '../../fixtures/fleets.js';

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

describe('toYaml', () => {
  test('writes one ---headed document per object, keys in the order given', () => {
    const yaml = toYaml([configMap('a', { z: '1', a: '2' }), configMap('b', {})]);
    expect(yaml).toBe(
      [
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: a',
        '  namespace: default',
        'data:',
        '  z: "1"',
        '  a: "2"',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: b',
        '  namespace: default',
        'data: {}',
        '',
      ].join('\n'),
    );
    expect(toYaml([])).toBe('');
  });

  test('never folds long lines and never writes anchors for shared values', () => {
    const shared = { long: 'x'.repeat(300) };
    const yaml = toYaml([{ ...configMap('a', {}), one: shared, two: shared }]);
    expect(yaml).not.toMatch(/[&*]a1/);
    expect(yaml).toContain(`long: ${'x'.repeat(300)}\n`);
  });

  test('quotes strings that a YAML 1.1 reader (kubectl) would take for booleans or numbers', () => {
    const values = ['yes', 'on', 'Off', 'y', 'N', '1:20', '0b101', '1_000', '.5', 'true', '0644', '12'];
    const yaml = toYaml([configMap('a', Object.fromEntries(values.map((v, i) => [`k${i}`, v])))]);
    const data = parse(yaml, { version: '1.1' }).data as Record<string, unknown>;
    expect(Object.values(data)).toEqual(values);
    expect(parse(yaml).data).toEqual(data);
    expect(yaml).toContain('k0: "yes"');
    expect(toYaml([configMap('b', { v: 'v1.33.4', w: 'eu-west-1' })])).toContain('v: v1.33.4\n  w: eu-west-1\n');
  });

  test('quotes keys the same way, keeping their order', () => {
    const yaml = toYaml([configMap('a', { z: '1', on: 'x', y: 'yes' })]);
    expect(yaml).toContain('data:\n  z: "1"\n  "on": x\n  "y": "yes"\n');
    expect(parse(yaml, { version: '1.1' }).data).toEqual({ z: '1', on: 'x', y: 'yes' });
  });

  test('round-trips a synthesized fleet', () => {
    const sets = synthFleet(generatedFleet(6));
    for (const set of sets) {
      const docs = parseAllDocuments(toYaml(set.objects)).map((d) => d.toJS());
      expect(docs).toEqual(set.objects);
    }
  });
});

describe('writeManifestSets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterops-serialize-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sets = (clusters: string[]): ManifestSet[] => [
    { id: 'management.staging', target: { kind: 'management', stage: 'staging' }, objects: [configMap('m', {})] },
    ...clusters.map(
      (cluster): ManifestSet => ({
        id: `addons.staging.${cluster}`,
        target: { kind: 'workload', stage: 'staging', cluster },
        objects: [configMap(cluster, {})],
      }),
    ),
  ];

  test('writes a folder per stage with management.yaml and a folder per cluster with addons.yaml', async () => {
    const written = await writeManifestSets(sets(['a', 'b']), dir);
    expect(written).toEqual(['staging/management.yaml', 'staging/a/addons.yaml', 'staging/b/addons.yaml']);
    const text = await readFile(join(dir, 'staging/a/addons.yaml'), 'utf8');
    expect(text).toBe(`# clusterops manifest set: addons.staging.a\n${toYaml([configMap('a', {})])}`);
  });

  test('gives byte-identical files on every run', async () => {
    const fleetSets = synthFleet(generatedFleet(9));
    const files = await writeManifestSets(fleetSets, dir);
    const first = await Promise.all(files.map((f) => readFile(join(dir, f))));
    await writeManifestSets(synthFleet(generatedFleet(9)), dir);
    const second = await Promise.all(files.map((f) => readFile(join(dir, f))));
    expect(second).toEqual(first);
    expect(files).toHaveLength(12);
  });

  test('removes the files of sets that are gone, and only those', async () => {
    await writeManifestSets(sets(['a', 'b']), dir);
    await writeFile(join(dir, 'staging/b/notes.txt'), 'mine');
    await mkdir(join(dir, 'old'), { recursive: true });
    await writeFile(join(dir, 'old/management.yaml'), 'stale');
    await writeManifestSets(sets(['a']), dir);
    expect((await readdir(dir)).sort()).toEqual(['staging']);
    expect((await readdir(join(dir, 'staging'))).sort()).toEqual(['a', 'b', 'management.yaml']);
    expect(await readdir(join(dir, 'staging/b'))).toEqual(['notes.txt']);
  });

  test('refuses a stage or cluster name that would leave the folder', async () => {
    const evil: ManifestSet = { id: 'management...', target: { kind: 'management', stage: '..' }, objects: [] };
    await expect(writeManifestSets([evil], dir)).rejects.toThrow('cannot be a folder name');
  });

  test('writes an object whose body is frozen and shared (a Helm chart body) byte for byte as the same object unshared, and writes the body once', () => {
    const spec = deepFreeze({ on: 'yes', version: '1.10', empty: {}, none: [], list: [{ a: 1 }, 'off'], nested: { deep: { text: 'line one\nline two' } } });
    const object = (cluster: string) => ({ apiVersion: 'x.io/v1', kind: 'Thing', metadata: { name: 't', labels: { 'clusterops.io/cluster': cluster } }, spec, data: { plain: 'no' } });
    const unshared = (cluster: string) => structuredClone(object(cluster));
    expect(toYaml([object('a'), object('b')])).toBe(toYaml([unshared('a'), unshared('b')]));
  });
});
