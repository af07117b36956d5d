/**
 * Benchmark of the apply engine against kubectl on a real control plane: the management-cluster
 * output of 100 and 500 generated clusters, first apply and no-op re-apply, compared in the same run
 * with `kubectl apply --server-side` and `kubectl diff --server-side` on the same YAML (each tool in
 * its own copy of the namespaces, so both start from nothing). Prints times, ratios and request
 * counts. Run after `tsc`: `node dist/test/bench/apply-bench.js`; set CLUSTEROPS_BENCH_KUBECONFIG to
 * use a running cluster that has the Cluster API CRDs instead of starting one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ResourceManager } from '../../src/apply/resource-manager.js';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { toYaml } from '../../src/synth/serialize.js';
import { synthFleet } from '../../src/synth/synth.js';
import { generatedFleet } from '../fixtures/fleets.js';
import { kubectlBinary, relocate } from './_fixtures.js';

/** One tool's numbers for one step. */
export interface StepResult {
  ms: number;
  requests: number;
  writes: number;
}

/** One row of the benchmark: one fleet size. */
export interface ApplyBenchResult {
  clusters: number;
  objects: number;
  clusteropsApply: StepResult;
  clusteropsNoop: StepResult;
  clusteropsDiffNoop: StepResult;
  kubectlApply: StepResult;
  kubectlNoopApply: StepResult;
  kubectlDiff: StepResult;
  /** kubectl apply time / clusterops first apply time. */
  firstApplySpeedup: number;
  /** kubectl diff time / clusterops no-op apply time. */
  noopSpeedup: number;
}

const SIZES = [100, 500];
const NOOP_RUNS = 5;

/** Runs kubectl with -v=6 and counts the requests it logs; `okCodes` are exit codes that are not failures. */
async function kubectl(args: string[], okCodes: number[] = [0]): Promise<StepResult> {
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn(kubectlBinary(), [...args, '-v=6'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, stderr: err }));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!okCodes.includes(code)) {
    const lastLines = stderr.split('\n').filter((l) => !/round_trippers|loader\.go|cert_rotation/.test(l)).slice(-5).join('\n');
    throw new Error(`kubectl ${args[0]} exited ${code}:\n${lastLines}`);
  }
  let requests = 0;
  let writes = 0;
  for (const m of stderr.matchAll(/"Response" verb="(\w+)" url="([^"]*)"|\] (GET|PATCH|POST|PUT|DELETE) https?:\/\/\S+ \d{3}/g)) {
    requests++;
    const verb = m[1] ?? m[3];
    if (verb !== 'GET' && !(m[2] ?? '').includes('dryRun=')) writes++;
  }
  return { ms, requests, writes };
}

async function clusterops(kubeconfig: string, verb: (rm: ResourceManager) => Promise<number>): Promise<StepResult> {
  const started = process.hrtime.bigint();
  // A fresh client and manager each time: discovery and connections are paid as in a new CLI run.
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  try {
    const errors = await verb(new ResourceManager(client));
    if (errors > 0) throw new Error(`clusterops reported ${errors} error(s)`);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, requests: client.counter.total, writes: client.counter.writes };
  } finally {
    client.close();
  }
}

function best(results: StepResult[]): StepResult {
  return results.reduce((a, b) => (b.ms < a.ms ? b : a));
}

async function benchOne(kubeconfig: string, clusters: number, workDir: string): Promise<ApplyBenchResult> {
  const sets = synthFleet(generatedFleet(clusters)).filter((s) => s.target.kind === 'management');
  const ours = relocate(sets, `-co${clusters}`);
  const theirs = relocate(sets, `-kc${clusters}`);
  const objects = ours.reduce((n, s) => n + s.objects.length, 0);
  const file = join(workDir, `kubectl-${clusters}.yaml`);
  await writeFile(file, theirs.map((s) => toYaml(s.objects)).join(''));
  const kc = ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kube-cache')];

  const applyAll = (options: { dryRun?: boolean }) => async (rm: ResourceManager) => (await rm.applyAll(ours, options)).errors.length;
  const clusteropsApply = await clusterops(kubeconfig, applyAll({}));
  const clusteropsNoop = best(await sequence(NOOP_RUNS, () => clusterops(kubeconfig, applyAll({}))));
  if (clusteropsNoop.writes !== 0) throw new Error(`no-op apply made ${clusteropsNoop.writes} write(s)`);
  const clusteropsDiffNoop = best(
    await sequence(NOOP_RUNS, () =>
      clusterops(kubeconfig, async (rm) => {
        const cs = await rm.diffAll(ours);
        if (cs.hasChanges) throw new Error('diff after apply shows changes');
        return cs.errors.length;
      }),
    ),
  );

  const kubectlApply = await kubectl(['apply', '--server-side', '--field-manager=kubectl-bench', '-f', file, ...kc]);
  const kubectlNoopApply = best(
    await sequence(NOOP_RUNS, () => kubectl(['apply', '--server-side', '--field-manager=kubectl-bench', '-f', file, ...kc])),
  );
  const kubectlDiff = best(await sequence(NOOP_RUNS, () => kubectl(['diff', '--server-side', '--field-manager=kubectl-bench', '-f', file, ...kc], [0, 1])));

  return {
    clusters,
    objects,
    clusteropsApply,
    clusteropsNoop,
    clusteropsDiffNoop,
    kubectlApply,
    kubectlNoopApply,
    kubectlDiff,
    firstApplySpeedup: kubectlApply.ms / clusteropsApply.ms,
    noopSpeedup: kubectlDiff.ms / clusteropsNoop.ms,
  };
}

/**
 * Touches every kind once with both tools before anything is timed: the API server builds its
 * server-side-apply type information per CRD on first use, and kubectl fills its discovery cache,
 * so neither tool pays that for the other.
 */
async function warmUp(kubeconfig: string, workDir: string): Promise<void> {
  const sets = synthFleet(generatedFleet(6)).filter((s) => s.target.kind === 'management');
  await clusterops(kubeconfig, async (rm) => (await rm.applyAll(relocate(sets, '-warm-co'))).errors.length);
  const file = join(workDir, 'kubectl-warm.yaml');
  await writeFile(file, relocate(sets, '-warm-kc').map((s) => toYaml(s.objects)).join(''));
  await kubectl(['apply', '--server-side', '--field-manager=kubectl-bench', '-f', file, '--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kube-cache')]);
}

async function sequence<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

function table(results: ApplyBenchResult[]): string {
  const header = ['clusters', 'objects', 'step', 'clusterops ms', 'req', 'writes', 'kubectl ms', 'req', 'writes', 'kubectl/clusterops'];
  const rows: string[][] = [];
  for (const r of results) {
    const row = (step: string, ours: StepResult, theirs: StepResult) => [
      String(r.clusters),
      String(r.objects),
      step,
      ours.ms.toFixed(0),
      String(ours.requests),
      String(ours.writes),
      theirs.ms.toFixed(0),
      String(theirs.requests),
      String(theirs.writes),
      `${(theirs.ms / ours.ms).toFixed(1)}x`,
    ];
    rows.push(row('first apply (vs apply --server-side)', r.clusteropsApply, r.kubectlApply));
    rows.push(row('no-op apply (vs diff --server-side)', r.clusteropsNoop, r.kubectlDiff));
    rows.push(row('no-op apply (vs apply --server-side)', r.clusteropsNoop, r.kubectlNoopApply));
    rows.push(row('no-op diff (vs diff --server-side)', r.clusteropsDiffNoop, r.kubectlDiff));
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Runs the apply benchmark for 100 and 500 clusters on a real control plane (started here unless
 * CLUSTEROPS_BENCH_KUBECONFIG names one), prints a table and returns the numbers.
 */
export async function runApplyBench(sizes: readonly number[] = SIZES): Promise<ApplyBenchResult[]> {
  const workDir = await mkdtemp(join(tmpdir(), 'clusterops-apply-bench-'));
  let controlPlane: ControlPlane | undefined;
  try {
    let kubeconfig = process.env.CLUSTEROPS_BENCH_KUBECONFIG;
    if (!kubeconfig) {
      controlPlane = await ControlPlane.start({ stateDir: join(workDir, 'controlplane'), progress: () => undefined });
      kubeconfig = controlPlane.kubeconfigPath;
      await installClusterApiCrds(kubeconfig);
    }
    await warmUp(kubeconfig, workDir);
    const results: ApplyBenchResult[] = [];
    for (const size of sizes) results.push(await benchOne(kubeconfig, size, workDir));
    process.stdout.write(
      `apply: clusterops (server-side apply, inventory, concurrency 16) vs ${kubectlBinary()}; no-op rows best of ${NOOP_RUNS}\n`,
    );
    process.stdout.write(`${table(results)}\n`);
    return results;
  } finally {
    await controlPlane?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runApplyBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
