/**
 * Benchmark of the front of the flow from files: 10, 100 and 1,000 generated cluster files on disk
 * through `loadFleet` (read, parse, validate with file:line positions) and then `synthFleet`, the
 * whole of `clusterops synth` but the writing. Also the wall time of `npx clusterops validate` on
 * the example fleet, which runs in pre-commit hooks and CI, against `node -e ''` as the floor of
 * starting Node at all. Then the parsing bounds: 40k and 80k distinct keys through the loader
 * against `yaml`'s own quadratic uniqueKeys check, and how long adversarial 1 MiB files block the
 * event loop, in-process (loadFleet, the CLI) and through loadStagesOffLoop (the reconciler's worker).
 * Run after `tsc`: `node dist/test/bench/validate-bench.js`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadFleet } from '../../src/spec/load.js';
import { loadStagesOffLoop } from '../../src/spec/read-off-loop.js';
import { synthFleet } from '../../src/synth/synth.js';
import { writeFleet } from './_fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SIZES = [10, 100, 1000];
const RUNS = 3;

/** One fleet size: time to validate the files and to synthesize the result. */
export interface ValidateBenchResult {
  clusters: number;
  validateMs: number;
  synthMs: number;
  totalMs: number;
  totalMsPerCluster: number;
}

async function benchOne(count: number): Promise<ValidateBenchResult> {
  const root = writeFleet(count);
  try {
    let best: ValidateBenchResult | undefined;
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const { fleet, problems } = await loadFleet(root);
      const t1 = performance.now();
      if (!fleet) throw new Error(`generated fleet is invalid: ${problems[0]?.message}`);
      const sets = synthFleet(fleet);
      const t2 = performance.now();
      if (sets.length < count) throw new Error('synth lost clusters');
      const r = { clusters: count, validateMs: t1 - t0, synthMs: t2 - t1, totalMs: t2 - t0, totalMsPerCluster: (t2 - t0) / count };
      if (!best || r.totalMs < best.totalMs) best = r;
    }
    return best!;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function wallMs(args: string[], runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Runs the benchmark, prints a table and the CLI wall time, and returns the numbers. */
export async function runValidateBench(sizes: readonly number[] = SIZES): Promise<{ rows: ValidateBenchResult[]; cliMs: number; nodeFloorMs: number }> {
  await benchOne(10); // warm-up
  const rows: ValidateBenchResult[] = [];
  for (const n of sizes) rows.push(await benchOne(n));
  const f = (x: number) => x.toFixed(1);
  process.stdout.write(`validate + synth from files, best of ${RUNS}\n`);
  process.stdout.write(`${'clusters'.padStart(8)}  ${'validate ms'.padStart(11)}  ${'synth ms'.padStart(9)}  ${'total ms'.padStart(9)}  ${'ms/cluster'.padStart(10)}\n`);
  for (const r of rows) {
    process.stdout.write(`${String(r.clusters).padStart(8)}  ${f(r.validateMs).padStart(11)}  ${f(r.synthMs).padStart(9)}  ${f(r.totalMs).padStart(9)}  ${r.totalMsPerCluster.toFixed(3).padStart(10)}\n`);
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  process.stdout.write(`growth ${first.clusters} -> ${last.clusters} clusters: x${(last.totalMs / first.totalMs).toFixed(1)} time for x${last.clusters / first.clusters} clusters (per cluster x${(last.totalMsPerCluster / first.totalMsPerCluster).toFixed(2)})\n`);
  const nodeFloorMs = wallMs(['-e', '']);
  const cliMs = wallMs(['bin/clusterops.js', 'validate', '--quiet']);
  process.stdout.write(`clusterops validate on the example fleet: ${cliMs.toFixed(0)} ms wall (median of 5); node -e '' floor ${nodeFloorMs.toFixed(0)} ms; ratio x${(cliMs / nodeFloorMs).toFixed(1)}\n`);
  await runParseBoundsBench();
  return { rows, cliMs, nodeFloorMs };
}

const HEAD = 'apiVersion: clusterops.io/v1alpha1\nkind: WorkloadCluster\nmetadata:\n  name: a\n';
const SPEC = 'spec:\n  provider: docker\n  kubernetesVersion: v1.34.2\n  controlPlane: {replicas: 1}\n  nodePools: []\n';
/** A valid cluster with `n` distinct labels (short base-36 keys keep 80,000 of them under 1 MiB; a prefix letter, since `1e1` and `10` are the same key). */
const labelsFile = (n: number) => `${HEAD}  labels:\n${Array.from({ length: n }, (_, i) => `    k${i.toString(36)}: v\n`).join('')}${SPEC}`;

/** Files of close to 1 MiB (the size limit) that each cost the parser the most in its own way. */
const ADVERSARIAL: Record<string, () => string> = {
  '80k distinct keys': () => labelsFile(80_000),
  '80k unknown fields (80k problems)': () => `${HEAD}${SPEC}${Array.from({ length: 80_000 }, (_, i) => `  k${i.toString(36)}: 1\n`).join('')}`,
  '1 MiB of [ (nesting)': () => `${HEAD}${SPEC}  addons: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`,
  '1 MiB string value': () => `${HEAD}${SPEC}  region: "${'x'.repeat(1024 * 1024 - 200)}"\n`,
};

/** Runs `fn` while a 1 ms timer watches the event loop; the longest gap between ticks is how long it blocked. */
async function blockOf(fn: () => Promise<unknown>): Promise<{ wallMs: number; blockMs: number }> {
  let last = performance.now();
  let blockMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    blockMs = Math.max(blockMs, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  clearInterval(timer);
  return { wallMs, blockMs: Math.max(blockMs, performance.now() - last) };
}

function oneFileFleet(text: string, file = 'a.yaml'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'clusterops-bench-'));
  mkdirSync(path.join(root, 's'));
  writeFileSync(path.join(root, 's', file), text);
  return root;
}

/** Prints the duplicate-key and adversarial-file numbers; see the module comment. */
export async function runParseBoundsBench(): Promise<void> {
  const f = (x: number) => `${x.toFixed(0)} ms`;
  process.stdout.write(`\nduplicate-free keys: loadFleet (linear duplicate check) vs yaml's own uniqueKeys check (the baseline, quadratic)\n`);
  for (const n of [40_000, 80_000]) {
    const text = labelsFile(n);
    const root = oneFileFleet(text);
    try {
      const t0 = performance.now();
      const { problems } = await loadFleet(root);
      const ours = performance.now() - t0;
      if (problems.length) throw new Error(`${n} keys: ${problems[0].message}`);
      const t1 = performance.now();
      parseAllDocuments(text, { uniqueKeys: true });
      const theirs = performance.now() - t1;
      process.stdout.write(`  ${String(n).padStart(6)} keys (${(text.length / 1024).toFixed(0)} KiB): loadFleet ${f(ours)}, yaml uniqueKeys alone ${f(theirs)}\n`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  process.stdout.write(`adversarial files near the 1 MiB limit: longest event-loop block (1 ms timer), in-process loadFleet vs loadStagesOffLoop (worker)\n`);
  await loadStagesOffLoop(oneFileFleet(labelsFile(10))); // warm-up of the worker path
  for (const [name, make] of Object.entries(ADVERSARIAL)) {
    const root = oneFileFleet(make());
    // The reconciler parses only stage.yaml itself (clusters are parsed by the revision's sandboxed synth).
    const stageRoot = oneFileFleet(make(), 'stage.yaml');
    try {
      const inProcess = await blockOf(() => loadFleet(root));
      const worker = await blockOf(() => loadStagesOffLoop(stageRoot));
      process.stdout.write(`  ${name.padEnd(36)} loadFleet: ${f(inProcess.wallMs)} wall, blocks ${f(inProcess.blockMs)} | worker: ${f(worker.wallMs)} wall, blocks ${f(worker.blockMs)}\n`);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(stageRoot, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runValidateBench();
