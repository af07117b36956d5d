/**
 * Benchmark of the CLI as a user, a pre-commit hook or CI runs it: whole processes of
 * `bin/clusterops.js` (`--version`, `--help`, `validate` and `synth` of the example fleet, and the
 * no-op `apply` of a generated 300-cluster fleet to a real control plane), each against `node -e 0`
 * measured in the same rounds as the floor, and the `apply` against kubectl's whole-process no-op
 * `kubectl apply --server-side` of the same objects (in its own copy of the namespaces). Rounds are
 * interleaved so machine load hits every command alike; prints median and spread.
 * Run after `tsc`: `node dist/test/bench/cli-bench.js`; CLUSTEROPS_BENCH_KUBECONFIG names a running
 * cluster with the Cluster API CRDs instead of starting one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadFleet } from '../../src/spec/load.js';
import { toYaml } from '../../src/synth/serialize.js';
import { synthFleet } from '../../src/synth/synth.js';
import { benchCluster, kubectlBinary, relocate, writeFleet } from './_fixtures.js';
import { spread, type Spread } from './_stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'clusterops.js');
const RUNS = 10;
const APPLY_RUNS = 5;
const APPLY_CLUSTERS = 300;

/** One command's whole-process times. */
export interface CliBenchRow {
  command: string;
  ms: Spread;
  /** Median of the command / median of its baseline. */
  ratio: number;
  baseline: string;
}

/** Runs a process to its end; resolves to its wall time, rejects when it fails. */
function timed(file: string, args: string[], cwd = ROOT): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}: ${err.slice(-400)}`));
    });
  });
}

/** Runs every named command once per round, interleaved, for `rounds` rounds. */
async function rounds(commands: Record<string, () => Promise<number>>, n: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [name, run] of Object.entries(commands)) out[name].push(await run());
  return out;
}

function table(rows: CliBenchRow[]): string {
  const header = ['command', 'median ms', 'min', 'max', 'baseline', 'ratio'];
  const cells = rows.map((r) => [r.command, r.ms.median.toFixed(0), r.ms.min.toFixed(0), r.ms.max.toFixed(0), r.baseline, `${r.ratio.toFixed(2)}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 || i === 4 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** Runs the CLI benchmark, prints its table and returns the rows. */
export async function runCliBench(): Promise<CliBenchRow[]> {
  const node = process.execPath;
  const cli = (...args: string[]) => () => timed(node, [BIN, ...args]);
  const local = await rounds(
    {
      'node -e 0': () => timed(node, ['-e', '0']),
      '--version': cli('--version'),
      '--help': cli('--help'),
      'validate (example fleet)': cli('validate', '--clusters', path.join(ROOT, 'clusters')),
      'synth (example fleet)': cli('synth', '--clusters', path.join(ROOT, 'clusters')),
    },
    RUNS,
  );
  const floor = spread(local['node -e 0']);
  const rows: CliBenchRow[] = Object.entries(local).map(([command, xs]) => {
    const ms = spread(xs);
    return { command, ms, baseline: 'node -e 0', ratio: ms.median / floor.median };
  });
  const loadLocal = loadavg()[0];

  const workDir = mkdtempSync(path.join(tmpdir(), 'clusterops-cli-bench-'));
  const cluster = await benchCluster(workDir);
  try {
    const { kubeconfig } = cluster;
    // The fleet as files, as `clusterops apply` reads it; kubectl gets the same objects, relocated.
    const fleetDir = writeFleet(APPLY_CLUSTERS);
    const { fleet } = await loadFleet(fleetDir);
    if (!fleet) throw new Error('generated fleet is invalid');
    const sets = synthFleet(fleet).filter((s) => s.target.kind === 'management');
    const objects = sets.reduce((n, s) => n + s.objects.length, 0);
    const yamlFile = path.join(workDir, 'kubectl.yaml');
    writeFileSync(yamlFile, relocate(sets, '-kc').map((s) => toYaml(s.objects)).join(''));
    const apply = cli('apply', '--clusters', fleetDir, '--kubeconfig', kubeconfig, '-o', 'json');
    const kubectlArgs = ['apply', '--server-side', '--field-manager=kubectl-bench', '-f', yamlFile, '--kubeconfig', kubeconfig, '--cache-dir', path.join(workDir, 'kube-cache')];
    const kubectl = () => timed(kubectlBinary(), kubectlArgs);
    const firstApply = await apply();
    const kubectlFirst = await kubectl();
    const remote = await rounds({ 'node -e 0': () => timed(node, ['-e', '0']), apply, kubectl }, APPLY_RUNS);
    const applyFloor = spread(remote['node -e 0']);
    const applyMs = spread(remote.apply);
    const kubectlMs = spread(remote.kubectl);
    rows.push(
      { command: `apply no-op, ${APPLY_CLUSTERS} clusters (${objects} objects)`, ms: applyMs, baseline: 'node -e 0', ratio: applyMs.median / applyFloor.median },
      { command: `apply no-op, ${APPLY_CLUSTERS} clusters`, ms: applyMs, baseline: 'kubectl apply --server-side', ratio: applyMs.median / kubectlMs.median },
      { command: `kubectl apply --server-side no-op`, ms: kubectlMs, baseline: 'node -e 0', ratio: kubectlMs.median / applyFloor.median },
    );
    process.stdout.write(
      `cli: whole processes, ${RUNS} interleaved rounds (apply: ${APPLY_RUNS}, after a first apply of ${firstApply.toFixed(0)} ms; kubectl's first: ${kubectlFirst.toFixed(0)} ms); ` +
        `load average ${loadLocal.toFixed(2)} / ${loadavg()[0].toFixed(2)}; ratio < 1 is faster than the baseline\n`,
    );
    rmSync(fleetDir, { recursive: true, force: true });
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${table(rows)}\n`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCliBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
