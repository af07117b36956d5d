import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/spec/load.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { writeFleet } from '../../../src/testing.js';
import { drillChecks, type FleetSnapshot } from '../../../src/recovery/drill-checks.js';
import { drillFleetFiles, drillStages } from '../../../src/recovery/drill-repo.js';
import { missingIdentities, resourcesOf, undeclaredIdentities } from '../../../src/recovery/identities-in-state.js';
import { clustersOf, withClustersPaused } from '../../../src/recovery/paused-clusters.js';
import { leaseHeld, type LeaseObject } from '../../../src/model/rebuild-lease.js';
import { notAdopted } from '../../../src/recovery/rebuild.js';

const KEY_MATERIAL = 'pulumi-nodejs:dynamic/clusterops:KeyMaterial';
const urn = (type: string, name: string) => `urn:pulumi:s::clusterops-management::clusterops:identity:ClusterIdentity$${type}::${name}`;
const fullIdentity = (key: string) => ['ca', 'etcd', 'proxy', 'sa'].map((part) => ({ urn: urn(KEY_MATERIAL, `${key}/${part}`), type: KEY_MATERIAL, name: `${key}/${part}` }));

describe('identities in the Pulumi state', () => {
  const declared = [
    { stage: 'production', name: 'a' },
    { stage: 'staging', name: 'b' },
  ];

  it('a cluster is missing when any of its four key materials is; Secrets of the same name do not count', () => {
    const state = [
      ...fullIdentity('production/a'),
      ...fullIdentity('staging/b').slice(0, 3),
      { urn: urn('kubernetes:core/v1:Secret', 'staging/b/sa'), type: 'kubernetes:core/v1:Secret', name: 'staging/b/sa' },
    ];
    expect(missingIdentities(declared, state)).toEqual(['staging/b']);
    expect(missingIdentities(declared, [...fullIdentity('production/a'), ...fullIdentity('staging/b')])).toEqual([]);
    expect(missingIdentities(declared, [])).toEqual(['production/a', 'staging/b']);
  });

  it('identities in the state of clusters no file declares are named', () => {
    const state = [...fullIdentity('production/a'), ...fullIdentity('staging/b'), ...fullIdentity('production/gone')];
    expect(undeclaredIdentities(declared, state)).toEqual(['production/gone']);
    // What the rebuild leaves out of its up: that cluster's resources only (not production/gone-too's, nor a/'s).
    const more = [...state, { urn: urn('kubernetes:core/v1:Secret', 'production/gone-too/ca-secret'), type: 'kubernetes:core/v1:Secret', name: 'production/gone-too/ca-secret' }];
    expect(resourcesOf(['production/gone'], more)).toEqual(fullIdentity('production/gone').map((r) => r.urn));
  });
});

describe('paused Clusters', () => {
  it('only Cluster API Clusters get spec.paused, the sets given are not changed', async () => {
    const root = writeFleet(drillFleetFiles(drillStages(2)));
    const { fleet } = await loadFleet(root);
    const sets = synthFleet(fleet!).filter((s) => s.target.kind === 'management');
    const paused = withClustersPaused(sets);
    expect(clustersOf(sets)).toEqual(['production/prod-01', 'staging/stg-01']);
    const pausedFlags = paused.flatMap((s) => s.objects).map((o) => [o.kind, (o as { spec?: { paused?: boolean } }).spec?.paused]);
    expect(pausedFlags.filter(([kind]) => kind === 'Cluster')).toEqual([
      ['Cluster', true],
      ['Cluster', true],
    ]);
    expect(pausedFlags.filter(([kind, p]) => kind !== 'Cluster' && p !== undefined)).toEqual([]);
    expect(sets.flatMap((s) => s.objects).some((o) => (o as { spec?: { paused?: boolean } }).spec?.paused)).toBe(false);
  });
});

describe('the rebuild lock', () => {
  const now = Date.parse('2026-12-03T10:00:00Z');
  const lease = (holder: string, renewed: string): LeaseObject => ({ metadata: { name: 'clusterops-rebuild' }, spec: { holderIdentity: holder, leaseDurationSeconds: 30, renewTime: renewed } });

  it('is held while renewed within its duration, by a live process or one of another host', () => {
    expect(leaseHeld(lease('here/42', '2026-12-03T09:59:45.000000Z'), now, 'here', () => true)).toBe(true);
    expect(leaseHeld(lease('there/42', '2026-12-03T09:59:45.000000Z'), now, 'here', () => false)).toBe(true);
  });

  it('is free once the lease ran out, or at once when its holder on this host is gone', () => {
    expect(leaseHeld(lease('there/42', '2026-12-03T09:59:00.000000Z'), now, 'here', () => true)).toBe(false);
    expect(leaseHeld(lease('here/42', '2026-12-03T09:59:59.000000Z'), now, 'here', (pid) => pid !== 42)).toBe(false);
  });
});

describe('adopted Clusters', () => {
  it('are Available with every desired worker ready', () => {
    expect(notAdopted(undefined)).toBe('not found');
    expect(notAdopted({ status: { conditions: [{ type: 'Available', status: 'False', message: 'control plane not available\nmore' }] } })).toBe('Available=False: control plane not available');
    expect(notAdopted({ status: { conditions: [{ type: 'Available', status: 'True' }], workers: { desiredReplicas: 2, readyReplicas: 1 } } })).toBe('workers 1/2 ready');
    expect(notAdopted({ status: { conditions: [{ type: 'Available', status: 'True' }], workers: { desiredReplicas: 2, readyReplicas: 2 } } })).toBeUndefined();
  });
});

describe('the drill', () => {
  it('its generated fleet loads: one protected cluster in production, the rest in staging, all local', async () => {
    const { fleet, problems } = await loadFleet(writeFleet(drillFleetFiles(drillStages(3))));
    expect(problems).toEqual([]);
    expect(fleet!.clusters.map((c) => [c.stage, c.name, c.spec.provider, c.spec.deletionProtection])).toEqual([
      ['production', 'prod-01', 'local', true],
      ['staging', 'stg-01', 'local', false],
      ['staging', 'stg-02', 'local', false],
    ]);
  });

  const snap = (pid: number, node: string): FleetSnapshot => ({
    clusters: [{ key: 'production/a', pids: { etcd: pid, 'kube-apiserver': pid + 1 }, kubeSystemUid: 'u1', nodes: { [node]: `uid-${node}` }, addons: { 'Namespace/shop': 'n1' } }],
    controlPlaneDirs: ['production/a'],
  });

  it('passes every check when the fleet is as it was', () => {
    const checks = drillChecks(['production/a'], snap(10, 'n'), snap(10, 'n'), { clusters: ['production/a'], machines: 1, notReady: [] });
    expect(checks.map((c) => [c.name, c.passed])).toEqual([
      ['workload processes kept', true],
      ['etcd data kept', true],
      ['kubeconfig from before works', true],
      ['no Node created or deleted', true],
      ['no cluster duplicated', true],
      ['add-on objects kept their uids', true],
      ['WorkloadClusters Ready at the branch head', true],
    ]);
  });

  it('a second rebuild passes only when its up changed nothing', () => {
    const row = (changes: string) => drillChecks(['production/a'], snap(10, 'n'), snap(10, 'n'), { clusters: ['production/a'], machines: 1, notReady: [] }, { stackChanges: changes }).at(-1)!;
    expect(row('31 same')).toMatchObject({ name: 'a second rebuild changed nothing', passed: true });
    expect(row('4 create, 27 same')).toMatchObject({ passed: false, detail: 'its pulumi up: 4 create, 27 same' });
    expect(row('')).toMatchObject({ passed: false });
  });

  it('fails the checks a restarted control plane, a new Node, a second Cluster or an unreadable cluster break', () => {
    const after = snap(20, 'm');
    after.clusters[0].error = 'cannot read it with the kubeconfig taken before: certificate signed by unknown authority';
    after.controlPlaneDirs.push('production/a-copy');
    const checks = drillChecks(['production/a'], snap(10, 'n'), after, { clusters: ['production/a', 'production/a-copy'], machines: 2, notReady: ['production/a: Ready=False'] });
    const failed = Object.fromEntries(checks.filter((c) => !c.passed).map((c) => [c.name, c.detail]));
    expect(Object.keys(failed)).toEqual([
      'workload processes kept',
      'kubeconfig from before works',
      'no Node created or deleted',
      'no cluster duplicated',
      'WorkloadClusters Ready at the branch head',
    ]);
    expect(failed['no cluster duplicated']).toBe('Cluster production/a-copy is not declared; a new control plane production/a-copy was started; 2 Machines for 1 Nodes');
  });
});
