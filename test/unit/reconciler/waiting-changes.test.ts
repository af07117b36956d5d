import { describe, expect, it } from 'vitest';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';
import { MAX_WAITING_CHANGES, MAX_WAITING_FIELDS, waitingChanges } from '../../../src/reconciler/waiting-changes.js';

const labelled = (kind: string, name: string, cluster: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind,
  metadata: { name, namespace: 'staging', labels: { 'clusterops.io/cluster': cluster } },
  spec,
});
const mgmt = (...objects: KubeObject[]): ManifestSet => ({ id: 'management.staging', target: { kind: 'management', stage: 'staging' }, objects });
const addons = (...objects: KubeObject[]): ManifestSet => ({ id: 'addons.staging.a', target: { kind: 'workload', stage: 'staging', cluster: 'a' }, objects });
const secret = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'team' }, data } as KubeObject);

describe('waitingChanges', () => {
  it("lists only the cluster's own objects of its stage's set, field by field, and its add-on set's, with where they are", () => {
    const applied = mgmt(labelled('Cluster', 'a', 'a', { topology: { version: 'v1.33.1' } }), labelled('Cluster', 'b', 'b', { topology: { version: 'v1.33.1' } }));
    const wanted = mgmt(labelled('Cluster', 'a', 'a', { topology: { version: 'v1.34.0' } }), labelled('Cluster', 'b', 'b', { topology: { version: 'v1.34.0' } }));
    const got = waitingChanges('a', [
      { wanted, applied },
      { wanted: addons({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }), applied: addons() },
    ]);
    expect(got).toEqual({
      changes: [
        { action: 'created', kind: 'Namespace', name: 'team', where: 'addons' },
        { action: 'changed', kind: 'Cluster', name: 'a', namespace: 'staging', where: 'management', fields: [{ path: 'spec.topology.version', from: '"v1.33.1"', to: '"v1.34.0"' }] },
      ],
      more: 0,
    });
  });

  it('is undefined when the waiting revision changes nothing of the cluster, and everything is created when nothing was applied', () => {
    const same = mgmt(labelled('Cluster', 'a', 'a', { x: 1 }));
    expect(waitingChanges('a', [{ wanted: same, applied: same }, undefined])).toBeUndefined();
    expect(waitingChanges('a', [{ wanted: same }])?.changes.map((c) => c.action)).toEqual(['created']);
  });

  it("never shows a Secret's data or a credential-named field, and cuts long values", () => {
    const got = waitingChanges('a', [
      { wanted: addons(secret({ password: 'bmV3LXNlY3JldA==' }), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { token: 'new-token-value', note: 'x'.repeat(500) } } as KubeObject), applied: addons(secret({ password: 'b2xkLXNlY3JldA==' }), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { token: 'old-token-value', note: 'y' } } as KubeObject) },
    ])!;
    const text = JSON.stringify(got);
    for (const leaked of ['bmV3LXNlY3JldA', 'b2xkLXNlY3JldA', 'new-token-value', 'old-token-value']) expect(text).not.toContain(leaked);
    const secretChange = got.changes.find((c) => c.kind === 'Secret')!;
    expect(secretChange.fields).toEqual([{ path: 'data.password', from: '(hidden)', to: '(hidden)' }]);
    const note = got.changes.find((c) => c.kind === 'ConfigMap')!.fields!.find((f) => f.path === 'data.note')!;
    expect(note.to!.length).toBeLessThanOrEqual(120);
    expect(note.to!.endsWith('…')).toBe(true);
  });

  it('bounds what it lists and counts the rest', () => {
    const many = Array.from({ length: MAX_WAITING_CHANGES + 7 }, (_, i) => labelled('Machine', `m${String(i).padStart(3, '0')}`, 'a', {}));
    const got = waitingChanges('a', [{ wanted: mgmt(...many), applied: mgmt() }])!;
    expect(got.changes).toHaveLength(MAX_WAITING_CHANGES);
    expect(got.more).toBe(7);
    const wide = Object.fromEntries(Array.from({ length: MAX_WAITING_FIELDS + 3 }, (_, i) => [`f${i}`, i]));
    const changed = waitingChanges('a', [{ wanted: mgmt(labelled('Cluster', 'a', 'a', wide)), applied: mgmt(labelled('Cluster', 'a', 'a', {})) }])!;
    expect(changed.changes[0]!.fields).toHaveLength(MAX_WAITING_FIELDS);
    expect(changed.changes[0]!.moreFields).toBe(3);
  });
});
