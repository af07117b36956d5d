import { ApiObject } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { AddonDefinition } from '../../../src/addons/addon.js';
import { ADDONS } from '../../../src/addons/catalog.js';
import type { AddonCatalog } from '../../../src/charts/addon-chart.js';
import { CLUSTER_LABEL, STAGE_LABEL, type ManifestSet } from '../../../src/model/manifest-set.js';
import { applyRank } from '../../../src/model/apply-order.js';
import { toYaml } from '../../../src/synth/serialize.js';
import { diffRevisions } from '../../../src/model/revision-diff.js';
import { synthDifferingSets, synthFleet } from '../../../src/synth/synth.js';
import { fleetOf, generatedFleet, workloadCluster } from '../../fixtures/fleets.js';

/** A catalog add-on that renders one ConfigMap per listed name into kube-system. */
const configMaps: AddonDefinition<{ names: string[] }> = {
  name: 'config-maps',
  description: 'ConfigMaps, for tests.',
  settings: z.strictObject({ names: z.array(z.string()).default(['settings']) }),
  render(scope, cluster, settings) {
    for (const name of settings.names) {
      new ApiObject(scope, `cm-${name}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'kube-system' },
        data: { cluster: cluster.name },
      });
    }
  },
};
const catalog: AddonCatalog = new Map([[configMaps.name, configMaps]]);

const fleet = fleetOf(
  [
    workloadCluster('payments-eu1', { stage: 'production', provider: 'aws', spec: { provider: 'aws', addons: { 'config-maps': { names: ['b', 'a'] } } } }),
    workloadCluster('analytics', { stage: 'production', provider: 'azure', spec: { provider: 'azure', region: 'westeurope' } }),
    workloadCluster('dev', { stage: 'staging', provider: 'docker', spec: { provider: 'docker', region: undefined, addons: { 'config-maps': { names: ['settings'] } } } }),
  ],
  ['qa'],
);

function setById(sets: ManifestSet[], id: string): ManifestSet {
  const set = sets.find((s) => s.id === id);
  if (!set) throw new Error(`no set ${id}`);
  return set;
}

describe('synthFleet', () => {
  const sets = synthFleet(fleet, catalog);

  test('makes a management set per stage and an add-on set per cluster, in stage and name order', () => {
    expect(sets.map((s) => s.id)).toEqual([
      'management.production',
      'addons.production.analytics',
      'addons.production.payments-eu1',
      'management.qa',
      'management.staging',
      'addons.staging.dev',
    ]);
    expect(setById(sets, 'management.qa').target).toEqual({ kind: 'management', stage: 'qa' });
    expect(setById(sets, 'addons.staging.dev').target).toEqual({ kind: 'workload', stage: 'staging', cluster: 'dev' });
  });

  test('keeps add-on objects out of the management set and Cluster API objects out of the add-on sets', () => {
    const management = setById(sets, 'management.production');
    expect(management.objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(management.objects.filter((o) => o.kind === 'Cluster').map((o) => o.metadata.name)).toEqual(['analytics', 'payments-eu1']);
    const addons = setById(sets, 'addons.production.payments-eu1');
    expect(addons.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap kube-system/a',
      'ConfigMap kube-system/b',
    ]);
    expect(setById(sets, 'addons.production.analytics').objects).toEqual([]);
  });

  test('labels add-on objects with their stage and cluster', () => {
    for (const object of setById(sets, 'addons.staging.dev').objects) {
      expect(object.metadata.labels).toMatchObject({ [STAGE_LABEL]: 'staging', [CLUSTER_LABEL]: 'dev' });
    }
  });

  test('orders each set: Namespace, templates, ClusterClasses, then Clusters', () => {
    const kinds = setById(sets, 'management.production').objects.map((o) => o.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds.slice(-2)).toEqual(['Cluster', 'Cluster']);
    const ranks = kinds.map(applyRank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(kinds.lastIndexOf('AWSMachineTemplate')).toBeLessThan(kinds.indexOf('ClusterClass'));
  });

  test('gives the same bytes on every run', () => {
    const again = synthFleet(fleet, catalog);
    expect(again.map((s) => toYaml(s.objects))).toEqual(sets.map((s) => toYaml(s.objects)));
    const big = generatedFleet(30);
    expect(synthFleet(big).map((s) => toYaml(s.objects)).join('')).toBe(synthFleet(big).map((s) => toYaml(s.objects)).join(''));
  });

  test('does not depend on the order clusters are listed in', () => {
    const reversed = { ...fleet, clusters: [...fleet.clusters].reverse() };
    expect(synthFleet(reversed, catalog)).toEqual(sets);
  });

  test('renders the real catalog by default', () => {
    const settings = ADDONS.get('priority-classes')?.settings.parse({});
    const withCatalog = fleetOf([workloadCluster('a', { spec: { addons: { 'priority-classes': settings } } })]);
    const addons = setById(synthFleet(withCatalog), 'addons.staging.a');
    expect(addons.objects.length).toBeGreaterThan(0);
    expect(addons.objects.every((o) => o.kind === 'PriorityClass')).toBe(true);
  });

  test('names the file and cluster of an unknown add-on', () => {
    const unknown = fleetOf([workloadCluster('a', { spec: { addons: { nope: {} } } })]);
    expect(() => synthFleet(unknown, catalog)).toThrow('clusters/staging/a.yaml: cluster a: unknown add-on "nope"');
  });

  test('refuses two objects of the same kind and name in one set', () => {
    const twice: AddonDefinition<unknown> = {
      name: 'twice',
      description: 'the same ConfigMap under two construct ids',
      settings: z.unknown(),
      render(scope) {
        for (const id of ['x', 'y']) new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same', namespace: 'default' } });
      },
    };
    const dup = fleetOf([workloadCluster('a', { spec: { addons: { twice: {} } } })]);
    expect(() => synthFleet(dup, new Map([['twice', twice]]))).toThrow('addons.staging.a: two objects are ConfigMap default/same');
  });
});

describe('synthDifferingSets (one code synthesizing two revisions, as clusterops ci does)', () => {
  const base = generatedFleet(30, { 'config-maps': { names: ['settings'] } });
  /** base with three development clusters on a new version, one gone, one added to production and one relabelled in staging. */
  const upgraded = new Set(['cluster-0000', 'cluster-0003', 'cluster-0006']);
  const head = fleetOf([
    ...base.clusters
      .filter((c) => c.name !== 'cluster-0004')
      .map((c) => (upgraded.has(c.name) ? { ...c, spec: { ...c.spec, kubernetesVersion: 'v1.34.1' } } : c))
      .map((c) => (c.name === 'cluster-0001' ? { ...c, labels: { team: 'moved' } } : c)),
    workloadCluster('added', { stage: 'production', spec: { addons: { 'config-maps': { names: ['settings'] } } } }),
  ]);

  test('leaves out only sets made of the same clusters, so the comparison finds what comparing whole fleets finds', () => {
    const differing = synthDifferingSets(base, head, catalog);
    const whole = diffRevisions(synthFleet(base, catalog), synthFleet(head, catalog)).changes;
    expect(whole.length).toBeGreaterThan(10);
    expect(diffRevisions(differing.base, differing.head).changes).toEqual(whole);
    // Every management set (each stage lost, gained or changed a cluster), and the add-on sets of what changed.
    const changed = ['addons.development.cluster-0000', 'addons.development.cluster-0003', 'addons.development.cluster-0006'];
    expect(differing.head.map((s) => s.id)).toEqual([
      'management.development', ...changed, 'management.production', 'addons.production.added', 'management.staging', 'addons.staging.cluster-0001',
    ]);
    expect(differing.base.map((s) => s.id)).toEqual([
      'management.development', ...changed, 'management.production', 'management.staging', 'addons.staging.cluster-0001', 'addons.staging.cluster-0004',
    ]);
  });

  test('synthesizes nothing for two fleets of the same content, whatever their source files', () => {
    const moved = fleetOf(base.clusters.map((c) => ({ ...c, source: { ...c.source, file: `/tmp/base/${c.source.file}` } })));
    expect(synthDifferingSets(base, moved, catalog)).toEqual({ base: [], head: [] });
  });
});
