/**
 * Benchmark of `clusterops ci` offline, as a pull-request job runs it: whole processes of
 * `bin/clusterops.js ci --no-preview` in a git repository of a generated fleet (100 and 1,000
 * clusters) whose head changes one stage's clusters' Kubernetes version, deletes one cluster and
 * adds one. Base and head are both synthesized and compared object by object; no cluster is
 * reached (exit 3: the live diff and the preview are named as not run). Goal: under 5 s at 1,000.
 * Run after `tsc`: `node dist/test/bench/ci-bench.js`. With CLUSTEROPS_BENCH_CI_PEER set to another
 * checkout's bin/clusterops.js (e.g. a worktree of main), its runs are interleaved with ours on the
 * same repositories, a column of their own, and each summary is checked to be the same bytes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFleet } from './_fixtures.js';
import { spread, type Spread } from './_stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'clusterops.js');
const RUNS = 5;
const PEER = process.env.CLUSTEROPS_BENCH_CI_PEER;

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

function timed(bin: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** One fleet size's whole-process times of `ci --no-preview` (and of the peer's, when given). */
export interface CiBenchRow {
  clusters: number;
  ms: Spread;
  peer?: Spread;
}

const seconds = (ms: Spread) => `${(ms.median / 1000).toFixed(2)} s (${(ms.min / 1000).toFixed(2)}–${(ms.max / 1000).toFixed(2)}, ${ms.runs} runs)`;

export async function runCiBench(sizes: number[] = [100, 1000]): Promise<CiBenchRow[]> {
  const rows: CiBenchRow[] = [];
  const header = '`clusterops ci --no-preview` (offline diff, whole process)';
  process.stdout.write(PEER ? `| clusters | ${header} | peer ${PEER} |\n| --- | --- | --- |\n` : `| clusters | ${header} |\n| --- | --- |\n`);
  for (const clusters of sizes) {
    const repo = benchRepository(clusters);
    const ours = path.join(repo, 'summary.md');
    const theirs = path.join(repo, 'summary-peer.md');
    const args = (out: string) => ['ci', '--clusters', 'clusters', '--no-preview', '--out', out];
    const times: number[] = [];
    const peerTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      times.push(await timed(BIN, args(ours), repo));
      if (!PEER) continue;
      peerTimes.push(await timed(PEER, args(theirs), repo));
      if (readFileSync(ours, 'utf8') !== readFileSync(theirs, 'utf8')) throw new Error(`ci at ${clusters} clusters: the summary differs from the peer's (${ours}, ${theirs})`);
    }
    const row: CiBenchRow = { clusters, ms: spread(times), ...(PEER ? { peer: spread(peerTimes) } : {}) };
    rows.push(row);
    process.stdout.write(`| ${clusters} | ${seconds(row.ms)} |${row.peer ? ` ${seconds(row.peer)} |` : ''}\n`);
    rmSync(repo, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runCiBench();
