/**
 * Benchmark of the front of the flow from files: 10, 100 and 1,000 generated cluster files on disk
 * through `loadFleet` (read, parse, validate with file:line positions) and then `synthFleet`, the
 * whole of `clusterops synth` but the writing. Also the wall time of `npx clusterops validate` on
 * the example fleet, which runs in pre-commit hooks and CI, against `node -e ''` as the floor of
 * starting Node at all. Run after `tsc`: `node dist/test/bench/validate-bench.js`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { loadFleet } from '../../src/spec/load.js';
import { synthFleet } from '../../src/synth/synth.js';
import { generatedFleet } from '../fixtures/fleets.js';

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

/** Writes a generated fleet as declaration files, one per cluster, in stage folders. */
function writeFleet(count: number): string {
  const root = mkdtempSync(path.join(tmpdir(), 'clusterops-bench-'));
  const fleet = generatedFleet(count, { 'default-deny-policies': {}, 'priority-classes': {} });
  for (const c of fleet.clusters) {
    mkdirSync(path.join(root, c.stage), { recursive: true });
    const doc = {
      apiVersion: 'clusterops.io/v1alpha1',
      kind: 'WorkloadCluster',
      metadata: { name: c.name, labels: c.labels },
      spec: { ...c.spec, kubernetesVersion: 'v1.34.2' },
    };
    writeFileSync(path.join(root, c.stage, `${c.name}.yaml`), stringify(doc));
  }
  return root;
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
  return { rows, cliMs, nodeFloorMs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runValidateBench();
