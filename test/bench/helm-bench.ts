/**
 * Helm add-ons at synth: fleets of 100 and 1,000 clusters, each with the four catalog charts
 * (cert-manager, metrics-server, kyverno, cilium; real charts, vendored by tools/vendor-charts.sh),
 * through load + synth with the render cache, and per cluster without it (every cluster renders its
 * own charts: measured on a sample, the rest is the same work per cluster), against the floor:
 * `helm template` of each of the four charts once, alone; with the heap the sets hold. Also
 * `clusterops synth` of 100 as a user runs it (the whole process, YAML to a pipe: kyverno's CRDs
 * alone are 5.9 MB a cluster, so the YAML of 1,000 would be gigabytes).
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
  /** Heap in use after synth, the sets alive (after a GC when --expose-gc). */
  heapMb: number;
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
  (globalThis as { gc?: () => void }).gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
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
  if (sets.length === 0) throw new Error('no sets');
  return { clusters: n, cachedMs, heapMb, cachedHelmRuns, objects, uncachedMsPerCluster: spread(times).median, uncachedHelmRunsPerCluster: (helmRenderCount() - runs1) / sample.length };
}

/** `clusterops synth` of the fleet in its own process, YAML to a pipe: what a user waits for; and how many bytes it wrote. */
async function cli(root: string): Promise<{ ms: number; bytes: number }> {
  const start = process.hrtime.bigint();
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'clusterops.js'), 'synth', '--clusters', path.join(root, 'clusters')], { maxBuffer: 4 * 1024 * 1024 * 1024, encoding: 'buffer' });
  return { ms: ms(start), bytes: stdout.length };
}

export async function runHelmBench(): Promise<Row[]> {
  const charts = mkdtempSync(path.join(tmpdir(), 'clusterops-bench-charts-'));
  execFileSync('bash', [path.join(PROJECT_ROOT, 'tools', 'vendor-charts.sh'), charts], { stdio: ['ignore', 'ignore', 'inherit'] });
  const floors = [floorMs(charts), floorMs(charts), floorMs(charts)];
  const floor = spread(floors).median;
  const rows: Row[] = [];
  for (const n of [100, 1000]) rows.push(await benchOne(charts, n));
  const cliRuns = [await cli(fleetRepo(charts, 100)), await cli(fleetRepo(charts, 100))];
  const cliMs = spread(cliRuns.map((r) => r.ms)).median;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`helm: floor = helm template of the 4 charts once each: ${floor.toFixed(0)} ms (median of 3; ${floors.map((f) => f.toFixed(0)).join(', ')})`);
  out('| clusters | objects | load+synth, cached | helm runs | vs floor | heap with the sets | without cache (per cluster, sampled) | without cache, whole fleet (projected) | cache speed-up |');
  out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const projected = r.uncachedMsPerCluster * r.clusters;
    out(
      `| ${r.clusters} | ${r.objects} | ${(r.cachedMs / 1000).toFixed(1)} s | ${r.cachedHelmRuns} | ${(r.cachedMs / floor).toFixed(1)}x | ${r.heapMb.toFixed(0)} MB | ${r.uncachedMsPerCluster.toFixed(0)} ms (${r.uncachedHelmRunsPerCluster} helm runs) | ${(projected / 1000).toFixed(0)} s | ${(projected / r.cachedMs).toFixed(0)}x |`,
    );
  }
  out(`clusterops synth of 100 clusters x 4 charts, whole process, YAML to a pipe: ${(cliMs / 1000).toFixed(1)} s (median of 2), ${(cliMs / floor).toFixed(1)}x the floor; ${(cliRuns[0]!.bytes / 1024 / 1024).toFixed(0)} MiB of YAML`);
  return rows;
}
