// Each catalog chart rendered by the real helm through the whole synth path (load, resolve, render,
// labels), with small values, against a golden listing of its objects: kind, namespace/name and a
// digest of each object, so any change in what reaches a cluster shows here (UPDATE_GOLDEN=1 to
// accept one on purpose). Also: the render is deterministic, cached by chart digest and values,
// and given the cluster's Kubernetes version and its add-ons' CRD API versions.
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearRenderCache, helmRenderCount } from '../../../src/helm/render-chart.js';
import { CLUSTER_LABEL, type KubeObject, type ManifestSet } from '../../../src/model/manifest-set.js';
import { loadFleet } from '../../../src/spec/load.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { writeFleet } from '../../../src/testing.js';
import { vendorInto } from './_charts.js';

const GOLDEN_DIR = path.join(import.meta.dirname, '..', '..', 'fixtures', 'golden', 'helm');
const DEMO_CHART = path.join(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'demo', '0.1.0');
const RANDOM_CHART = path.join(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'random', '0.1.0');

const cluster = (name: string, addons: string, kubernetesVersion = 'v1.36.3') => `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata:
  name: ${name}
spec:
  provider: local
  kubernetesVersion: ${kubernetesVersion}
  controlPlane: {replicas: 1}
  addons:
${addons}`;

/** The small values each catalog chart is rendered with, and what they must change in its output. */
const CATALOG: Record<string, { chart: string; addon: string; check: (objects: KubeObject[]) => void }> = {
  'cert-manager': {
    chart: 'cert-manager/v1.21.2',
    addon: '    cert-manager:\n      values: {replicaCount: 2}\n',
    check: (objects) => {
      expect(find(objects, 'Deployment', 'cert-manager').spec.replicas).toBe(2);
      expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name)).toContain('certificates.cert-manager.io');
    },
  },
  'metrics-server': {
    chart: 'metrics-server/3.12.2',
    addon: '    metrics-server:\n      values: {replicas: 2}\n',
    check: (objects) => {
      expect(find(objects, 'Deployment', 'metrics-server').spec.replicas).toBe(2);
      expect(find(objects, 'APIService', 'v1beta1.metrics.k8s.io').spec.service).toMatchObject({ name: 'metrics-server', namespace: 'kube-system' });
    },
  },
  kyverno: {
    chart: 'kyverno/3.9.1',
    addon: '    kyverno:\n      values: {admissionController: {replicas: 3}}\n',
    check: (objects) => {
      expect(find(objects, 'Deployment', 'kyverno-admission-controller').spec.replicas).toBe(3);
      expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name)).toContain('clusterpolicies.kyverno.io');
    },
  },
  cilium: {
    chart: 'cilium/1.20.2',
    addon: '    cilium:\n      values: {ipam: {mode: kubernetes}, operator: {replicas: 1}}\n',
    check: (objects) => {
      expect(find(objects, 'ConfigMap', 'cilium-config').data.ipam).toBe('kubernetes');
      expect(find(objects, 'Deployment', 'cilium-operator').spec.replicas).toBe(1);
      expect(objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'cilium')).toBe(true);
    },
  },
};

function find(objects: KubeObject[], kind: string, name: string): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.length} objects`);
  return o;
}

async function synthRepo(files: Record<string, string>, charts: string[], extra: (root: string) => void = () => undefined): Promise<ManifestSet[]> {
  const root = writeFleet(files, 'clusterops-helm-synth-');
  vendorInto(root, ...charts);
  extra(root);
  const loaded = await loadFleet(path.join(root, 'clusters'));
  expect(loaded.problems).toEqual([]);
  return synthFleet(loaded.fleet!);
}

const workload = (sets: ManifestSet[], name: string) => sets.find((s) => s.target.kind === 'workload' && s.target.cluster === name)!;

/** One line per object: kind, namespace/name, and a digest of the whole object. */
function listing(objects: KubeObject[]): string {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 12)}\n`).join('');
}

describe('catalog Helm charts, rendered by helm at synth', () => {
  for (const [name, c] of Object.entries(CATALOG)) {
    it(`${name}: the golden objects, with the cluster's labels and the values applied`, async () => {
      const sets = await synthRepo({ 'clusters/s/a.yaml': cluster('a', c.addon) }, [c.chart]);
      const objects = workload(sets, 'a').objects;
      c.check(objects);
      for (const o of objects) expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({ [CLUSTER_LABEL]: 'a', 'clusterops.io/addon': name });
      // A namespaced object the chart left without a namespace gets the release namespace, as helm install does.
      expect(objects.filter((o) => ['Deployment', 'ServiceAccount', 'Service', 'ConfigMap'].includes(o.kind) && !o.metadata.namespace)).toEqual([]);
      for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) expect(crd.metadata.annotations?.['clusterops.io/prune']).toBe('disabled');
      const file = path.join(GOLDEN_DIR, `${name}.txt`);
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, listing(objects));
      expect(listing(objects)).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('the same fleet renders byte-identically after the cache is dropped, and the cache renders a chart once for a hundred clusters', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`clusters/s/c${i}.yaml`] = cluster(`c${i}`, '    metrics-server: {}\n');
    clearRenderCache();
    const before = helmRenderCount();
    const first = await synthRepo(files, ['metrics-server/3.12.2']);
    // One render (made twice, to check it renders the same each time) without CRD API versions: the chart installs none, so there is no second one.
    expect(helmRenderCount() - before).toBe(2);
    clearRenderCache();
    const again = await synthRepo(files, ['metrics-server/3.12.2']);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(workload(first, 'c7').objects.every((o) => o.metadata.labels?.[CLUSTER_LABEL] === 'c7')).toBe(true);
  });

  it("passes the cluster's Kubernetes version, and the API versions its add-ons' CRDs serve, to every chart", async () => {
    const sets = await synthRepo(
      {
        'clusters/s/old.yaml': cluster('old', '    demo: {chart: charts/demo, version: 0.1.0}\n', 'v1.35.2'),
        'clusters/s/new.yaml': cluster('new', '    demo: {chart: charts/demo, version: 0.1.0}\n'),
      },
      [],
      (root) => cpSync(DEMO_CHART, path.join(root, 'charts', 'demo', '0.1.0'), { recursive: true }),
    );
    const config = (c: string) => find(workload(sets, c).objects, 'ConfigMap', 'demo-config');
    expect(config('old').data.kubeVersion).toBe('v1.35.2');
    expect(config('new').data.kubeVersion).toBe('v1.36.3');
    // The chart's own CRD serves demo.clusterops.io/v1, so its Widget renders, in the release namespace it creates.
    expect(config('new').data.hasWidgets).toBe('true');
    expect(find(workload(sets, 'new').objects, 'Widget', 'demo').metadata.namespace).toBe('demo');
    expect(find(workload(sets, 'new').objects, 'Namespace', 'demo')).toBeDefined();
    expect(find(workload(sets, 'new').objects, 'ClusterRole', 'demo-reader').metadata.namespace).toBeUndefined();
  });

  it('refuses a chart that renders differently every time (a generated password), naming the object but never its contents', async () => {
    const root = writeFleet({ 'clusters/s/a.yaml': cluster('a', '    random: {chart: charts/random}\n') }, 'clusterops-helm-random-');
    cpSync(RANDOM_CHART, path.join(root, 'charts', 'random', '0.1.0'), { recursive: true });
    const loaded = await loadFleet(path.join(root, 'clusters', ''));
    // The chart-only add-on names the folder without a version: charts/random holds no Chart.yaml, so it is refused at load.
    expect(loaded.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^chart charts\/random is not in the repository: no charts\/random\/Chart\.yaml/)]);
    const pinned = writeFleet({ 'clusters/s/a.yaml': cluster('a', '    random: {chart: charts/random, version: 0.1.0}\n') }, 'clusterops-helm-random-');
    cpSync(RANDOM_CHART, path.join(pinned, 'charts', 'random', '0.1.0'), { recursive: true });
    const fleet = (await loadFleet(path.join(pinned, 'clusters'))).fleet!;
    let error: Error | undefined;
    try {
      synthFleet(fleet);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/a\.yaml: cluster a: add-on "random": chart random 0\.1\.0 renders differently every time \(Secret random\/random-password\): it generates keys or random values/);
    expect(error?.message).not.toMatch(/password: /);
  });
});
