// What the loader checks of a Helm add-on before anything renders: that its chart is in the
// repository at the version asked for (the stage's or the cluster's), that its values keep to the
// chart's own values.schema.json, and that unknown settings are refused; each problem at the file,
// line and field a person edits. No helm runs here (rendering is test/integration/helm).
import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HelmAddonSettings } from '../../../src/addons/helm-addon.js';
import { loadFleet } from '../../../src/spec/load.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { writeFleet } from '../../../src/testing.js';
import { clusterYaml } from './_fleet-dir.js';

const DEMO_CHART = path.join(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'demo', '0.1.0');

const STAGE = `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata:
  name: s
spec:
  defaults:
    addons:
      demo:
        chart: charts/demo
        version: 0.1.0
`;

const SPEC = `  provider: local
  kubernetesVersion: v1.36.3
  controlPlane: {replicas: 1}
`;

/** A repository with clusters/ (these files, under clusters/) and the demo chart vendored as charts/demo/0.1.0. */
function repo(files: Record<string, string>): string {
  const root = writeFleet(Object.fromEntries(Object.entries(files).map(([k, v]) => [`clusters/${k}`, v])), 'clusterops-helm-load-');
  cpSync(DEMO_CHART, path.join(root, 'charts', 'demo', '0.1.0'), { recursive: true });
  return path.join(root, 'clusters');
}

async function problems(files: Record<string, string>): Promise<string[]> {
  const r = await loadFleet(repo(files));
  return r.problems.map((p) => formatProblem(p).replace(/^.*clusters\//, ''));
}

describe('Helm add-ons at load', () => {
  it('resolves the chart a stage names, with the cluster values over the stage ones, and pins its digest', async () => {
    const r = await loadFleet(
      repo({
        's/stage.yaml': STAGE.replace('version: 0.1.0', 'version: 0.1.0\n        values: {greeting: hi, image: {tag: "2.0"}}'),
        's/a.yaml': clusterYaml('a', `${SPEC}  addons:\n    demo:\n      values: {replicas: 3}\n`),
      }),
    );
    expect(r.problems).toEqual([]);
    const demo = r.fleet!.clusters[0]!.spec.addons.demo as HelmAddonSettings;
    expect(demo.values).toEqual({ greeting: 'hi', image: { tag: '2.0' }, replicas: 3 });
    expect(demo.resolved).toEqual({ path: 'charts/demo/0.1.0', name: 'demo', version: '0.1.0', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('reports values against the chart schema at their lines, in the cluster file and in stage.yaml, all in one run', async () => {
    const out = await problems({
      's/stage.yaml': STAGE.replace('version: 0.1.0', 'version: 0.1.0\n        values: {mode: quick}'),
      's/a.yaml': clusterYaml('a', `${SPEC}  addons:\n    demo:\n      values:\n        replicas: 0\n        image: {tga: "2"}\n`),
      's/b.yaml': clusterYaml('b', `${SPEC}  addons:\n    demo:\n      values:\n        greting: hi\n    default-deny-policies: {bogus: 1}\n`),
    });
    expect(out).toEqual([
      expect.stringMatching(/^s\/a\.yaml:12:19: spec\.addons\.demo\.values\.replicas: must be >= 1 \(chart values\.schema\.json\)$/),
      expect.stringMatching(/^s\/a\.yaml:13:22: spec\.addons\.demo\.values\.image\.tga: not a value of this chart/),
      expect.stringMatching(/^s\/b\.yaml:12:\d+: spec\.addons\.demo\.values\.greting: not a value of this chart/),
      expect.stringMatching(/^s\/b\.yaml:13:\d+: spec\.addons\.default-deny-policies.*unknown key "bogus"/),
      expect.stringMatching(/^s\/stage\.yaml:11:\d+: spec\.defaults\.addons\.demo\.values\.mode: must be one of "fast", "safe"/),
    ]);
  });

  it('names the missing version, the one that is there, and how to vendor it; a stage version points at stage.yaml', async () => {
    const out = await problems({
      's/stage.yaml': STAGE.replace('version: 0.1.0', 'version: 0.2.0'),
      's/a.yaml': clusterYaml('a', `${SPEC}  addons:\n    demo: {}\n`),
    });
    expect(out).toEqual([
      expect.stringMatching(/^s\/stage\.yaml:10:18: spec\.defaults\.addons\.demo\.version: chart charts\/demo version 0\.2\.0 is not in the repository: no charts\/demo\/0\.2\.0\/Chart\.yaml or charts\/demo\/Chart\.yaml; vendor it as charts\/demo\/0\.2\.0\//),
    ]);
  });

  it('refuses unknown settings, versions YAML reads as numbers, charts outside the repository, remote charts, and a changed pinned digest', async () => {
    const out = await problems({
      's/a.yaml': clusterYaml(
        'a',
        `${SPEC}  addons:\n    demo: {chart: charts/demo, version: 0.1.0, valuse: {}}\n    other: {chart: ../elsewhere}\n    remote: {chart: "oci://registry.example/charts/x", version: 1.2.3}\n    pinned: {chart: charts/demo, version: 0.1.0, digest: "sha256:${'0'.repeat(64)}"}\n    number: {chart: charts/demo, version: 0.1}\n`,
      ),
    });
    expect(out).toEqual([
      expect.stringMatching(/^s\/a\.yaml:10:11: spec\.addons\.demo: unknown key "valuse"; allowed: chart, version/),
      expect.stringMatching(/^s\/a\.yaml:11:20: spec\.addons\.other\.chart: "\.\.\/elsewhere" must be a folder inside the repository/),
      expect.stringMatching(/^s\/a\.yaml:12:21: spec\.addons\.remote\.chart: a remote chart is pinned by the digest of its archive: add digest: sha256:/),
      expect.stringMatching(/^s\/a\.yaml:13:58: spec\.addons\.pinned\.digest: charts\/demo\/0\.1\.0 has digest sha256:[0-9a-f]{64}: its files changed/),
      expect.stringMatching(/^s\/a\.yaml:14:43: spec\.addons\.number\.version: write the version as a string \("0\.1"\)/),
    ]);
  });

  it('a catalog chart that is not vendored says where it was looked for', async () => {
    const out = await problems({ 's/a.yaml': clusterYaml('a', `${SPEC}  addons:\n    cert-manager: {}\n`) });
    expect(out).toEqual([
      expect.stringMatching(/^s\/a\.yaml:10:19: spec\.addons\.cert-manager: chart charts\/cert-manager version v1\.21\.2 is not in the repository: no charts\/cert-manager\/v1\.21\.2\/Chart\.yaml or charts\/cert-manager\/Chart\.yaml/),
    ]);
  });
});
