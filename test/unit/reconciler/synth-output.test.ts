import { describe, expect, it } from 'vitest';
import { MANIFEST_SETS_API_VERSION, manifestSetsDocument } from '../../../src/model/manifest-sets-document.js';
import { missingInterface, readManifestSets } from '../../../src/reconciler/synth-output.js';
import { SynthError } from '../../../src/reconciler/synth-error.js';

const doc = (sets: unknown, apiVersion: unknown = MANIFEST_SETS_API_VERSION) => JSON.stringify({ apiVersion, sets });
const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } };

describe('readManifestSets', () => {
  it('reads the sets with their targets', () => {
    const { sets, blocked } = readManifestSets(
      doc([
        { id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [ns] },
        { id: 'addons.prod.a', target: { stage: 'prod', cluster: 'a', kind: 'workload' }, objects: [] },
      ]),
    );
    expect(sets).toEqual([
      { id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [ns] },
      { id: 'addons.prod.a', target: { kind: 'workload', stage: 'prod', cluster: 'a' }, objects: [] },
    ]);
    expect(blocked).toEqual([]);
  });

  it('reads the declarations left out (blocked), and refuses a malformed entry', () => {
    const problem = { file: 'clusters/prod/a.yaml', line: 7, column: 3, path: 'spec.version', message: 'bad' };
    const withBlocked = (blocked: unknown) => JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets: [], blocked });
    expect(readManifestSets(withBlocked([{ stage: 'prod', clusters: ['a'], problems: [problem] }, { stage: 'dev', problems: [problem] }])).blocked).toEqual([
      { stage: 'prod', clusters: ['a'], problems: [problem] },
      { stage: 'dev', problems: [problem] },
    ]);
    expect(() => readManifestSets(withBlocked([{ stage: 'prod', clusters: ['a'], problems: [] }]))).toThrow(/blocked\[0\]: needs its problems/);
    expect(() => readManifestSets(withBlocked([{ clusters: ['a'], problems: [problem] }]))).toThrow(/blocked\[0\]: needs a stage/);
    expect(() => readManifestSets(withBlocked({}))).toThrow(/blocked must be a list/);
  });

  it('says so when the revision speaks another version, or the old text output', () => {
    expect(() => readManifestSets(doc([], 'clusterops.io/manifest-sets/v2'))).toThrow(
      /this revision's clusterops does not offer clusterops.io\/manifest-sets\/v1: it speaks "clusterops.io\/manifest-sets\/v2"/,
    );
    expect(() => readManifestSets('# clusterops manifest set: management.prod\napiVersion: v1\n')).toThrow(/does not offer clusterops.io\/manifest-sets\/v1 \(it wrote text/);
    expect(missingInterface("error: unknown option '--format'\n")).toMatch(/does not offer clusterops.io\/manifest-sets\/v1 \(its synth has no --format sets-json\)/);
    expect(missingInterface('clusters/a.yaml:1: bad')).toBeUndefined();
  });

  it('refuses a document of the wrong shape, naming the place', () => {
    const bad: Array<[unknown[] | Record<string, unknown>, RegExp]> = [
      [{}, /no list of sets/],
      [[{ id: 'weird', target: {}, objects: [] }], /sets\[0\]: unknown ManifestSet id "weird"/],
      [[{ id: 'management.prod', target: { kind: 'management', stage: 'other' }, objects: [] }], /does not match its id/],
      [[{ id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [ns] }, { id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [] }], /sets\[1\]: ManifestSet management.prod appears twice/],
      [[{ id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [ns, ['a list']] }], /sets\[0\].objects\[1\] \(management.prod\): not a Kubernetes object/],
      [[{ id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [{ ...ns, metadata: { name: 'x', namespace: 3 } }] }], /not a Kubernetes object/],
    ];
    for (const [sets, message] of bad) {
      const text = Array.isArray(sets) ? doc(sets) : JSON.stringify({ apiVersion: MANIFEST_SETS_API_VERSION, ...sets });
      expect(() => readManifestSets(text)).toThrow(SynthError);
      expect(() => readManifestSets(text)).toThrow(message);
    }
    expect(() => readManifestSets('{"apiVersion": ')).toThrow(/not valid JSON/);
  });

  it('writes a body shared in memory once (a chart CRD in every cluster), and reads it back into the same objects', () => {
    const crdSpec = { group: 'x.io', names: { kind: 'X', plural: 'xs' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { big: 'y'.repeat(10_000) } }] };
    const crd = (cluster: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'xs.x.io', labels: { 'clusterops.io/cluster': cluster } }, spec: crdSpec });
    const own = (cluster: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { cluster } });
    const sets = ['a', 'b', 'c'].map((c) => ({ id: `addons.prod.${c}`, target: { kind: 'workload' as const, stage: 'prod', cluster: c }, objects: [crd(c), own(c)], addons: ['x'] }));
    const text = JSON.stringify(manifestSetsDocument(sets));
    // One copy of the CRD's schema, not three; the ConfigMaps (different data) as they are.
    expect(text.split('y'.repeat(10_000)).length - 1).toBe(1);
    const read = readManifestSets(text);
    expect(read.sets).toEqual(sets);
    // Shared, and frozen: no set can change another's.
    expect(read.sets[0]!.objects[0]!.spec).toBe(read.sets[2]!.objects[0]!.spec);
    expect(Object.isFrozen(read.sets[1]!.objects[0]!.spec)).toBe(true);
    expect(() => readManifestSets(JSON.stringify({ apiVersion: MANIFEST_SETS_API_VERSION, sets: [{ ...sets[0], objects: [{ $body: 3, metadata: { name: 'x' } }] }], bodies: [] }))).toThrow(
      /objects\[0\] \(addons\.prod\.a\): \$body 3 is not an index of bodies/,
    );
  });
});
