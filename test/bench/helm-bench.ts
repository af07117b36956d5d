/**
 * Helm add-ons at synth: fleets of 100 and 1,000 clusters, each with the four catalog charts
 * (cert-manager, metrics-server, kyverno, cilium; real charts, vendored by tools/vendor-charts.sh),
 * through load + synth with the render cache, and per cluster without it (every cluster renders its
 * own charts: measured on a sample, the rest is the same work per cluster), against the floor:
 * `helm template` of each of the four charts once, alone. Also `clusterops synth` of the 1,000 as a
 * user runs it (the whole process, YAML to a pipe).
 * Run: `npm run bench -- helm` (needs helm: bash tools/build-helm.sh; and Go for the charts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findHelm } from '../../src/helm/helm-binary.js';
import { clearRenderCache, helmRenderCount } from '../../src/helm/render-chart.js';
import { loadFleet } from '../../src/spec/load.js';
import { synthFleet } from '../../src/synth/synth.js';
import { PROJECT_ROOT } from '../integration/reconciler/_project-repo.js';
import { spread } from './_stats.js';

const CHARTS = ['cert-manager/v1.21.2', 'metrics-server/3.12.2', 'kyverno/3.9.1', 'cilium/1.20.2'];
/** Clusters rendered without the cache: every cluster costs the same, so a sample measures it. */
const UNCACHED_SAMPLE = 5;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** A repository with `n` clusters in 4 stages, each with the four Helm add-ons (values differ per stage, as they do in fleets). */
function fleetRepo(charts: string, n: number): string {
  const root = mkdtempSync(path.join(tmpdir(), `clusterops-helm-bench-${n}-`));
  execFileSync('cp', ['-R', path.join(charts, 'charts'), root]);
  for (let s = 0; s < 4; s++) {
    const stage = `stage-${s}`;
    mkdirSync(path.join(root, 'clusters', stage), { recursive: true });
    writeFileSync(
      path.join(root, 'clusters', stage, 'stage.yaml'),
      `apiVersion: clusterops.io/v1alpha1
kind: Stage
metadata: {name: ${stage}}
spec:
  defaults:
    provider: local
    kubernetesVersion: v1.36.3
    controlPlane: {replicas: 1}
    addons:
      cert-manager: {values: {replicaCount: ${1 + s}}}
      metrics-server: {values: {replicas: ${1 + (s % 2)}}}
      kyverno: {values: {admissionController: {replicas: ${1 + s}}}}
      cilium: {values: {operator: {replicas: ${1 + (s % 2)}}}}
`,
    );
  }
  for (let i = 0; i < n; i++) {
    writeFileSync(path.join(root, 'clusters', `stage-${i % 4}`, `c${i}.yaml`), `apiVersion: clusterops.io/v1alpha1\nkind: WorkloadCluster\nmetadata: {name: c${i}}\nspec: {}\n`);
  }
  return root;
}

/** The floor: `helm template` of each chart once, as a person would render them by hand. */
function floorMs(charts: string): number {
  const helm = findHelm();
  const home = mkdtempSync(path.join(tmpdir(), 'clusterops-helm-home-'));
  const start = process.hrtime.bigint();
  for (const chart of CHARTS) {
    execFileSync(helm, ['template', 'x', path.join(charts, 'charts', chart), '--include-crds', '--kube-version', 'v1.36.3', '--no-hooks', '--skip-tests', ...(chart.startsWith('cilium') ? ['--set', 'hubble.tls.auto.method=cronJob'] : [])], {
      stdio: ['ignore', 'ignore', 'inherit'],
      maxBuffer: 256 * 1024 * 1024,
      env: { PATH: process.env.PATH, HOME: home, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home },
    });
  }
  return ms(start);
}

interface Row {
  clusters: number;
  cachedMs: number;
  cachedHelmRuns: number;
  objects: number;
  uncachedMsPerCluster: number;
  uncachedHelmRunsPerCluster: number;
}

async function benchOne(charts: string, n: number): Promise<Row> {
  const root = fleetRepo(charts, n);
  clearRenderCache();
  const runs0 = helmRenderCount();
  const start = process.hrtime.bigint();
  const loaded = await loadFleet(path.join(root, 'clusters'));
  if (!loaded.fleet) throw new Error(`bench fleet does not load: ${loaded.problems[0]?.message}`);
  const sets = synthFleet(loaded.fleet);
  const cachedMs = ms(start);
  const cachedHelmRuns = helmRenderCount() - runs0;
  const objects = sets.reduce((sum, s) => sum + s.objects.length, 0);
  // Without the cache: each sampled cluster alone, the cache dropped before it, as if nothing were shared.
  const sample = loaded.fleet.clusters.slice(0, UNCACHED_SAMPLE);
  const times: number[] = [];
  const runs1 = helmRenderCount();
  for (const cluster of sample) {
    clearRenderCache();
    const t = process.hrtime.bigint();
    synthFleet({ ...loaded.fleet, stages: loaded.fleet.stages.filter((s) => s.name === cluster.stage), clusters: [cluster] });
    times.push(ms(t));
  }
  return { clusters: n, cachedMs, cachedHelmRuns, objects, uncachedMsPerCluster: spread(times).median, uncachedHelmRunsPerCluster: (helmRenderCount() - runs1) / sample.length };
}

/** `clusterops synth` of the fleet in its own process, YAML to a pipe: what a user waits for. */
async function cliMs(root: string): Promise<number> {
  const start = process.hrtime.bigint();
  await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'clusterops.js'), 'synth', '--clusters', path.join(root, 'clusters')], { maxBuffer: 2 * 1024 * 1024 * 1024 });
  return ms(start);
}

export async function runHelmBench(): Promise<Row[]> {
  const charts = mkdtempSync(path.join(tmpdir(), 'clusterops-bench-charts-'));
  execFileSync('bash', [path.join(PROJECT_ROOT, 'tools', 'vendor-charts.sh'), charts], { stdio: ['ignore', 'ignore', 'inherit'] });
  const floors = [floorMs(charts), floorMs(charts), floorMs(charts)];
  const floor = spread(floors).median;
  const rows: Row[] = [];
  for (const n of [100, 1000]) rows.push(await benchOne(charts, n));
  const cli = spread([await cliMs(fleetRepo(charts, 1000)), await cliMs(fleetRepo(charts, 1000))]).median;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`helm: floor = helm template of the 4 charts once each: ${floor.toFixed(0)} ms (median of 3; ${floors.map((f) => f.toFixed(0)).join(', ')})`);
  out('| clusters | objects | load+synth, cached | helm runs | vs floor | without cache (per cluster, sampled) | without cache, whole fleet (projected) | cache speed-up |');
  out('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const projected = r.uncachedMsPerCluster * r.clusters;
    out(
      `| ${r.clusters} | ${r.objects} | ${(r.cachedMs / 1000).toFixed(1)} s | ${r.cachedHelmRuns} | ${(r.cachedMs / floor).toFixed(1)}x | ${r.uncachedMsPerCluster.toFixed(0)} ms (${r.uncachedHelmRunsPerCluster} helm runs) | ${(projected / 1000).toFixed(0)} s | ${(projected / r.cachedMs).toFixed(0)}x |`,
    );
  }
  out(`clusterops synth of 1,000 clusters x 4 charts, whole process to a pipe: ${(cli / 1000).toFixed(1)} s (median of 2), ${(cli / floor).toFixed(1)}x the floor`);
  return rows;
}
