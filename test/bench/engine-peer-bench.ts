/**
 * Our apply engine against Flux's (`fluxcd/pkg/ssa` ResourceManager.ApplyAllStaged, the code
 * kustomize-controller runs, through tools/ssa-peer: an unthrottled client, concurrency 4) and
 * against the floor (rawApply: every object sent once as a concurrent server-side apply, no
 * planning). Same objects (a generated fleet's management sets, ~300 and ~1,500), same control
 * plane, each engine in its own copy of the namespaces per round; the three run interleaved (their
 * order rotates each round), 3 rounds, median and spread. Engine times are in-process: the Go
 * program times itself, so neither side pays its process start. Not part of `npm test` or CI.
 * Run after `tsc`: `node dist/test/bench/engine-peer-bench.js`; CLUSTEROPS_BENCH_KUBECONFIG names a
 * running cluster with the Cluster API CRDs instead of starting one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ResourceManager } from '../../src/apply/resource-manager.js';
import { workloadClusterCrd } from '../../src/charts/workload-cluster-crd.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import type { ManifestSet } from '../../src/model/manifest-set.js';
import { toYaml } from '../../src/synth/serialize.js';
import { synthFleet } from '../../src/synth/synth.js';
import { generatedFleet } from '../fixtures/fleets.js';
import { benchCluster, relocate } from './_fixtures.js';
import { rawApply } from './_raw-apply.js';
import { spread, type Spread } from './_stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Clusters per fleet: 2 management objects each and 21 shared, so ~300 and ~1,500 objects. */
const SIZES = [140, 740];
const ROUNDS = 3;
const ENGINES = ['clusterops', 'flux-ssa', 'raw'] as const;
type Engine = (typeof ENGINES)[number];

/** First apply and no-op apply of one engine in one round, ms. */
interface Timing {
  first: number;
  noop: number;
}

/** One fleet size: each engine's first and no-op apply over the rounds. */
export interface EnginePeerRow {
  clusters: number;
  objects: number;
  first: Record<Engine, Spread>;
  noop: Record<Engine, Spread>;
}

/** Builds (or finds in the cache) tools/ssa-peer and returns its path. */
function ssaPeerBinary(): string {
  const out = execFileSync('bash', [path.join(ROOT, 'tools', 'build-ssa-peer.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

async function timeMs<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - started) / 1e6, value];
}

/** Our engine: a fresh client and manager (discovery paid as in a new run), first apply, then no-op. */
async function clusterops(kubeconfig: string, sets: ManifestSet[]): Promise<Timing> {
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  try {
    // As the CLI does: the management sets hold WorkloadCluster mirrors, whose CRD no set declares.
    const manager = new ResourceManager(client, { prerequisiteCrds: [workloadClusterCrd()] });
    const [first, cs] = await timeMs(() => manager.applyAll(sets));
    if (cs.errors.length > 0) throw new Error(`clusterops first apply: ${cs.errors.length} error(s): ${JSON.stringify(cs.errors[0])}`);
    const writes = client.counter.writes;
    const [noop, again] = await timeMs(() => manager.applyAll(sets));
    if (again.errors.length > 0) throw new Error(`clusterops no-op apply: ${again.errors.length} error(s)`);
    if (client.counter.writes !== writes) throw new Error(`clusterops no-op apply made ${client.counter.writes - writes} write(s)`);
    return { first, noop };
  } finally {
    client.close();
  }
}

/** Flux's engine in tools/ssa-peer: it reads the YAML on stdin and times its own two applies. */
function fluxSsa(binary: string, kubeconfig: string, sets: ManifestSet[]): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--kubeconfig', kubeconfig, '--concurrency', '4'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ssa-peer exited ${code}: ${err.slice(-600)}`));
      const r = JSON.parse(out) as { firstApply: { ms: number }; noopApply: { ms: number; actions: Record<string, number> } };
      const changed = Object.entries(r.noopApply.actions).filter(([action]) => action !== 'unchanged');
      if (changed.length > 0) return reject(new Error(`ssa-peer no-op apply changed objects: ${JSON.stringify(r.noopApply.actions)}`));
      resolve({ first: r.firstApply.ms, noop: r.noopApply.ms });
    });
    child.stdin.end(sets.map((s) => toYaml(s.objects)).join(''));
  });
}

/** The floor: the same objects sent once each, concurrently, twice (the second send is the no-op). */
async function raw(kubeconfig: string, sets: ManifestSet[]): Promise<Timing> {
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  try {
    const objects = sets.flatMap((s) => s.objects);
    const [first] = await timeMs(() => rawApply(client, objects));
    const [noop] = await timeMs(() => rawApply(client, objects));
    return { first, noop };
  } finally {
    client.close();
  }
}

/**
 * Every kind touched once by each engine before timing (the API server builds its apply state per
 * CRD on first use); ours goes first and installs the WorkloadCluster CRD the others rely on.
 */
async function warmUp(binary: string, kubeconfig: string): Promise<void> {
  const sets = synthFleet(generatedFleet(6)).filter((s) => s.target.kind === 'management');
  await clusterops(kubeconfig, relocate(sets, '-warm-co'));
  await fluxSsa(binary, kubeconfig, relocate(sets, '-warm-fx'));
  await raw(kubeconfig, relocate(sets, '-warm-raw'));
}

async function benchOne(binary: string, kubeconfig: string, clusters: number): Promise<EnginePeerRow> {
  const sets = synthFleet(generatedFleet(clusters)).filter((s) => s.target.kind === 'management');
  const objects = sets.reduce((n, s) => n + s.objects.length, 0);
  const runs: Record<Engine, Timing[]> = { clusterops: [], 'flux-ssa': [], raw: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < ENGINES.length; i++) {
      const engine = ENGINES[(i + round) % ENGINES.length];
      const copy = relocate(sets, `-${engine === 'flux-ssa' ? 'fx' : engine === 'raw' ? 'raw' : 'co'}${clusters}r${round}`);
      if (engine === 'clusterops') runs[engine].push(await clusterops(kubeconfig, copy));
      else if (engine === 'flux-ssa') runs[engine].push(await fluxSsa(binary, kubeconfig, copy));
      else runs[engine].push(await raw(kubeconfig, copy));
    }
  }
  const by = (pick: (t: Timing) => number) => Object.fromEntries(ENGINES.map((e) => [e, spread(runs[e].map(pick))])) as Record<Engine, Spread>;
  return { clusters, objects, first: by((t) => t.first), noop: by((t) => t.noop) };
}

function table(rows: EnginePeerRow[]): string {
  const header = ['objects', 'step', 'clusterops ms (min-max)', 'flux ssa ms (min-max)', 'raw floor ms (min-max)', 'flux/clusterops', 'clusterops/floor'];
  const cell = (s: Spread) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})`;
  const cells: string[][] = [];
  for (const r of rows) {
    for (const [step, t] of [['first apply', r.first], ['no-op apply', r.noop]] as const) {
      cells.push([
        String(r.objects),
        step,
        cell(t.clusterops),
        cell(t['flux-ssa']),
        cell(t.raw),
        `${(t['flux-ssa'].median / t.clusterops.median).toFixed(1)}x`,
        `${(t.clusterops.median / t.raw.median).toFixed(2)}x`,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 1 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** Runs the engine-peer benchmark, prints its table and returns the rows. */
export async function runEnginePeerBench(sizes: readonly number[] = SIZES): Promise<EnginePeerRow[]> {
  const binary = ssaPeerBinary();
  const workDir = mkdtempSync(path.join(tmpdir(), 'clusterops-engine-peer-'));
  const cluster = await benchCluster(workDir);
  try {
    const { kubeconfig } = cluster;
    const loadBefore = loadavg()[0];
    await warmUp(binary, kubeconfig);
    const rows: EnginePeerRow[] = [];
    for (const size of sizes) rows.push(await benchOne(binary, kubeconfig, size));
    process.stdout.write(
      `engine-peer: clusterops ResourceManager.applyAll (concurrency 16, its default) vs fluxcd/pkg/ssa ApplyAllStaged ` +
        `(concurrency 4, unthrottled) vs raw concurrent server-side apply (16 in flight); ${ROUNDS} interleaved rounds, median (min-max); ` +
        `load average ${loadBefore.toFixed(2)} / ${loadavg()[0].toFixed(2)}\n`,
    );
    process.stdout.write(`${table(rows)}\n`);
    return rows;
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runEnginePeerBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
