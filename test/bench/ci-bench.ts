/**
 * Benchmark of `clusterops ci` offline, as a pull-request job runs it: whole processes of
 * `bin/clusterops.js ci --no-preview` in a git repository of a generated fleet (100 and 1,000
 * clusters) whose head changes one stage's clusters' Kubernetes version, deletes one cluster and
 * adds one. Base and head are both synthesized and compared object by object; no cluster is
 * reached (exit 3: the live diff and the preview are named as not run). Goal: under 5 s at 1,000.
 * Run after `tsc`: `node dist/test/bench/ci-bench.js`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFleet } from './_fixtures.js';
import { spread, type Spread } from './_stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'clusterops.js');
const RUNS = 3;

/** A git repository with `count` clusters on main, and a checked-out `pr` branch that changes a few. */
function benchRepository(count: number): string {
  const fleet = writeFleet(count);
  const repo = `${fleet}-repo`;
  mkdirSync(repo);
  renameSync(fleet, path.join(repo, 'clusters'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  git('checkout', '-qb', 'pr');
  const stages = readdirSync(path.join(repo, 'clusters')).sort();
  const first = path.join(repo, 'clusters', stages[0]!);
  const files = readdirSync(first).sort();
  for (const f of files.slice(0, 5)) {
    const p = path.join(first, f);
    writeFileSync(p, readFileSync(p, 'utf8').replace('v1.34.2', 'v1.35.0'));
  }
  const last = path.join(first, files[files.length - 1]!);
  writeFileSync(path.join(first, 'added-by-pr.yaml'), readFileSync(last, 'utf8').replace(/name: \S+/, 'name: added-by-pr'));
  rmSync(last);
  git('add', '-A');
  git('commit', '-qm', 'pr');
  return repo;
}

function timed(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // 3: what ran passed; the live diff and preview were not run (no cluster, --no-preview).
      if (code === 3) resolve(ms);
      else reject(new Error(`ci exited ${code}: ${err.slice(-400)}`));
    });
  });
}

/** One fleet size's whole-process times of `ci --no-preview`. */
export interface CiBenchRow {
  clusters: number;
  ms: Spread;
}

export async function runCiBench(sizes: number[] = [100, 1000]): Promise<CiBenchRow[]> {
  const rows: CiBenchRow[] = [];
  process.stdout.write('| clusters | `clusterops ci --no-preview` (offline diff, whole process) |\n| --- | --- |\n');
  for (const clusters of sizes) {
    const repo = benchRepository(clusters);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await timed(['ci', '--clusters', 'clusters', '--no-preview', '--out', path.join(repo, 'summary.md')], repo));
    const ms = spread(times);
    rows.push({ clusters, ms });
    process.stdout.write(`| ${clusters} | ${(ms.median / 1000).toFixed(2)} s (${(ms.min / 1000).toFixed(2)}–${(ms.max / 1000).toFixed(2)}, ${ms.runs} runs) |\n`);
    rmSync(repo, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runCiBench();
