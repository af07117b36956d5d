/**
 * Micro-benchmark of synth: fleets of 10, 100 and 1,000 generated clusters (three stages, all
 * providers, two node pools and two catalog add-ons each) through `synthFleet`, against the floor
 * of serializing the same, already synthesized, plain objects to YAML without cdk8s.
 * Run after `tsc`: `node dist/test/bench/synth-bench.js` (pass `--expose-gc` for retained-heap numbers).
 */
import { pathToFileURL } from 'node:url';
import { ADDONS } from '../../src/addons/catalog.js';
import type { Fleet } from '../../src/model/fleet.js';
import type { ManifestSet } from '../../src/model/manifest-set.js';
import { toYaml } from '../../src/synth/serialize.js';
import { synthFleet } from '../../src/synth/synth.js';
import { generatedFleet } from '../fixtures/fleets.js';

/** One row of the benchmark: one fleet size. */
export interface SynthBenchResult {
  clusters: number;
  sets: number;
  objects: number;
  /** synthFleet, whole fleet. */
  synthMs: number;
  synthMsPerCluster: number;
  /** toYaml of every set's objects: the floor without cdk8s. */
  yamlMs: number;
  yamlMsPerCluster: number;
  yamlBytes: number;
  /** Peak resident set size of the process so far (monotonic: the largest fleet runs last). */
  peakRssMb: number;
  /** Heap in use right after synth, garbage included. */
  heapAfterSynthMb: number;
  /** Heap the ManifestSets keep alive after a full GC; undefined without --expose-gc. */
  retainedHeapMb?: number;
}

const MB = 1024 * 1024;
const SIZES = [10, 100, 1000];
/** Repetitions per size; the fastest is reported (the others carry JIT warm-up and GC noise). */
const RUNS = 3;

function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return gc !== undefined;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** The settings every generated cluster gives its add-ons: the catalog defaults, as the loader makes them. */
function defaultAddons(): Record<string, unknown> {
  const addons: Record<string, unknown> = {};
  for (const name of ['default-deny-policies', 'priority-classes']) {
    const addon = ADDONS.get(name);
    if (addon) addons[name] = addon.settings.parse({});
  }
  return addons;
}

/**
 * Heap in use right after synth (garbage included) and, with --expose-gc, what the ManifestSets keep
 * alive after a full GC. Its own function, so that nothing of an earlier run is still reachable.
 */
function measureHeap(fleet: Fleet): { heapAfterSynthMb: number; retainedHeapMb?: number } {
  const hasGc = collectGarbage();
  const baseline = process.memoryUsage().heapUsed;
  const sets = synthFleet(fleet);
  const heapAfterSynthMb = process.memoryUsage().heapUsed / MB;
  if (!hasGc) return { heapAfterSynthMb };
  collectGarbage();
  const retainedHeapMb = (process.memoryUsage().heapUsed - baseline) / MB;
  // Using the sets after the measurement keeps them alive through it.
  if (sets.length === 0) throw new Error('synth produced no ManifestSets');
  return { heapAfterSynthMb, retainedHeapMb };
}

function benchOne(clusters: number): SynthBenchResult {
  const fleet = generatedFleet(clusters, defaultAddons());
  const heap = measureHeap(fleet);
  let synthMs = Infinity;
  let yamlMs = Infinity;
  let sets: ManifestSet[] = [];
  let yamlBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    collectGarbage();
    const synth = timed(() => synthFleet(fleet));
    sets = synth.value;
    synthMs = Math.min(synthMs, synth.ms);
    const yaml = timed(() => sets.map((set) => toYaml(set.objects)));
    yamlMs = Math.min(yamlMs, yaml.ms);
    yamlBytes = yaml.value.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  }
  return {
    clusters,
    sets: sets.length,
    objects: sets.reduce((sum, set) => sum + set.objects.length, 0),
    synthMs,
    synthMsPerCluster: synthMs / clusters,
    yamlMs,
    yamlMsPerCluster: yamlMs / clusters,
    yamlBytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ...heap,
  };
}

function table(results: SynthBenchResult[]): string {
  const header = ['clusters', 'sets', 'objects', 'synth ms', 'ms/cluster', 'yaml ms', 'ms/cluster', 'yaml MB', 'peak RSS MB', 'heap MB', 'retained MB'];
  const rows = results.map((r) => [
    String(r.clusters),
    String(r.sets),
    String(r.objects),
    r.synthMs.toFixed(1),
    r.synthMsPerCluster.toFixed(3),
    r.yamlMs.toFixed(1),
    r.yamlMsPerCluster.toFixed(3),
    (r.yamlBytes / MB).toFixed(1),
    r.peakRssMb.toFixed(0),
    r.heapAfterSynthMb.toFixed(0),
    r.retainedHeapMb === undefined ? '-' : r.retainedHeapMb.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Runs the synth benchmark for 10, 100 and 1,000 clusters, prints a table and returns the numbers. */
export function runSynthBench(sizes: readonly number[] = SIZES): SynthBenchResult[] {
  benchOne(10); // warm-up: module loading and JIT
  const results = sizes.map(benchOne);
  process.stdout.write(`synth (cdk8s, one App per ManifestSet) vs. floor (toYaml of the same plain objects), best of ${RUNS}\n`);
  process.stdout.write(`${table(results)}\n`);
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runSynthBench();
