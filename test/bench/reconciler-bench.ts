/**
 * Benchmark of the reconciler on a fleet of generated clusters (100, or 1,000 for `scale`; two stages, docker, one
 * add-on each) in a real git repository holding this project's code, against a real control plane:
 * time to the first full apply, commit-to-applied latency of a one-cluster change through the
 * webhook (POST /hooks/git until the WorkloadCluster's status.revision is the new SHA), API requests
 * per minute at rest (from the API server's own apiserver_request_total, minus the same window
 * measured before the reconciler started), and the reconciler's resident memory. The reconciler runs
 * as its own process (`node bin/clusterops.js reconcile`, from the repository copy's dist/).
 * Baseline in the same run: `kubectl apply --server-side` of the same one-cluster change.
 * Targets: latency at most 3 s, RSS at most 200 MB.
 * Run after `tsc`: `node dist/test/bench/reconciler-bench.js` (or `npm run bench -- reconciler`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { githubSignature } from '../../src/reconciler/webhook.js';
import { dockerCluster, PROJECT_ROOT, projectRepo } from '../integration/reconciler/_project-repo.js';

const run = promisify(execFile);
const STAGES = ['bench-a', 'bench-b'];
const SECRET = 'bench-webhook-secret';
const LATENCY_RUNS = 3;
const REST_WINDOW_MS = 60_000;
const INTERVAL = '30s';
/** Issue 14's goals: commit-to-applied <= 0.5 s at 100 clusters, <= 2 s at 1,000; RSS <= 200 MB at 100, <= 300 MB at 1,000. */
const targets = (clusters: number) => (clusters <= 100 ? { latencyMs: 500, rssMb: 200 } : { latencyMs: 2_000, rssMb: 300 });

/** What the benchmark measured. */
export interface ReconcilerBenchResult {
  clusters: number;
  objectsPerPass: number;
  firstApplyMs: number;
  /** POST /hooks/git to status.revision == new SHA, each run. */
  latencyMs: number[];
  /** A hand edit of a Cluster until it is put back (watch; the drift interval is 30 s), each run. */
  driftMs: number[];
  /** `kubectl apply --server-side` of the same one-cluster change. */
  kubectlMs: number;
  /** API requests per minute at rest caused by the reconciler (background subtracted). */
  requestsPerMinute: number;
  backgroundPerMinute: number;
  rssAtRestMb: number;
  peakRssMb: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kubectlBinary(): string {
  for (const minor of [36, 35, 34, 33]) {
    const candidate = `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
    if (existsSync(candidate)) return candidate;
  }
  return 'kubectl';
}

/** Resident set size of a process in MB, from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Sum of apiserver_request_total over every label set, from the API server's /metrics (text). */
async function apiserverRequests(client: KubeClient): Promise<number> {
  const res = await client.request<string>({ verb: 'get', method: 'GET', path: '/metrics', responseType: 'text' });
  return sumRequests(res.body);
}

/** The API server's request counters by `VERB resource[/subresource]`. */
async function requestsByKind(client: KubeClient): Promise<Map<string, number>> {
  const res = await client.request<string>({ verb: 'get', method: 'GET', path: '/metrics', responseType: 'text' });
  const out = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource') || label('path') || '-'}${label('subresource') ? `/${label('subresource')}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** The reconciler's own requests to the API server so far (its clusterops_api_requests_total), by verb. */
async function reconcilerRequests(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^clusterops_api_requests_total\{verb="([^"]+)"\} (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** What grew between two readings of requestsByKind, largest first. */
function grown(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after].map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)]).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]);
}

function sumRequests(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('apiserver_request_total{')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

/** The reconciler's SynthRunner reuses an installation per lockfile; point it at this checkout's (as `clusterops dev` does). */
async function seedDependencies(cacheDir: string): Promise<void> {
  const lock = await readFile(path.join(PROJECT_ROOT, 'package-lock.json'));
  const key = createHash('sha256').update(lock).update('\0').digest('hex');
  const entry = path.join(cacheDir, 'synth', 'deps', key);
  await mkdir(entry, { recursive: true });
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(entry, 'node_modules'), 'dir');
  await writeFile(path.join(entry, '.complete'), 'seed\n');
}

/**
 * Runs the reconciler benchmark (its own control plane), prints the numbers against the targets
 * and the kubectl baseline, and returns them.
 */
export async function runReconcilerBench(CLUSTERS = 100): Promise<ReconcilerBenchResult> {
  const { latencyMs: TARGET_LATENCY_MS, rssMb: TARGET_RSS_MB } = targets(CLUSTERS);
  const work = await mkdtemp(path.join(tmpdir(), 'clusterops-reconciler-bench-'));
  let controlPlane: ControlPlane | undefined;
  let child: ChildProcess | undefined;
  const files: Record<string, string> = {};
  for (const stage of STAGES) {
    files[`clusters/${stage}/stage.yaml`] = `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${stage}}\nspec:\n  defaults:\n    addons: {default-deny-policies: {}}\n`;
  }
  const nameOf = (i: number) => `c${String(i).padStart(3, '0')}`;
  const stageOf = (i: number) => STAGES[i % STAGES.length];
  for (let i = 0; i < CLUSTERS; i++) files[`clusters/${stageOf(i)}/${nameOf(i)}.yaml`] = dockerCluster(nameOf(i));
  const repo = projectRepo(files);
  try {
    controlPlane = await ControlPlane.start({ stateDir: path.join(work, 'controlplane'), progress: () => undefined });
    await installClusterApiCrds(controlPlane.kubeconfigPath, { progress: () => undefined });
    const api = await KubeClient.fromKubeConfig(loadKubeconfig({ path: controlPlane.kubeconfigPath }));
    const metrics = await KubeClient.fromKubeConfig(loadKubeconfig({ path: controlPlane.kubeconfigPath }));
    const status = async (i: number) =>
      (
        await api
          .request<{ status?: { revision?: string } }>({ verb: 'get', method: 'GET', path: `/apis/clusterops.io/v1alpha1/namespaces/${stageOf(i)}/workloadclusters/${nameOf(i)}` })
          .catch(() => ({ body: {} as { status?: { revision?: string } } }))
      ).body.status?.revision;
    const allAt = async (sha: string) => {
      const res = await api
        .request<{ items: Array<{ status?: { revision?: string } }> }>({ verb: 'list', method: 'GET', path: '/apis/clusterops.io/v1alpha1/workloadclusters' })
        .catch(() => ({ body: { items: [] } }));
      return res.body.items.length === CLUSTERS && res.body.items.every((w) => w.status?.revision === sha);
    };

    // Background: the API server's own traffic (kube-controller-manager) without the reconciler.
    const bg0 = await apiserverRequests(metrics);
    await sleep(REST_WINDOW_MS / 2);
    const backgroundPerMinute = ((await apiserverRequests(metrics)) - bg0 - 1) * (60_000 / (REST_WINDOW_MS / 2));

    const cacheDir = path.join(work, 'cache');
    await seedDependencies(cacheDir);
    await writeFile(path.join(work, 'webhook-secret'), SECRET, { mode: 0o600 });
    const port = 18000 + Math.floor(Math.random() * 2000);
    child = spawn(
      process.execPath,
      [
        path.join(repo.dir, 'bin', 'clusterops.js'), 'reconcile',
        '--repo', repo.url, '--branch', 'main', '--kubeconfig', controlPlane.kubeconfigPath, '--cache-dir', cacheDir,
        '--interval', INTERVAL, '--listen', `127.0.0.1:${port}`, '--webhook-secret-file', path.join(work, 'webhook-secret'), '--no-leader-elect',
      ],
      { cwd: repo.dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CLUSTEROPS_LOG_LEVEL: 'info' } },
    );
    let log = '';
    /** Where the time of each revision went, from the reconciler's `revision synthesized` lines. */
    const synthesized: Array<{ ms: number; timings: Record<string, number> }> = [];
    let partial = '';
    child.stderr!.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-8000);
      partial += c.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; ms?: number; timings?: Record<string, number> };
          if (entry.msg === 'revision synthesized') synthesized.push({ ms: entry.ms ?? 0, timings: entry.timings ?? {} });
        } catch {
          // Not a JSON line.
        }
      }
    });
    const pid = child.pid!;
    let peakRss = 0;
    const sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, rssMb(pid));
      } catch {
        // Exited.
      }
    }, 100);

    const first = repo.git('rev-parse', 'HEAD');
    const t0 = Date.now();
    while (!(await allAt(first))) {
      if (child.exitCode !== null || Date.now() - t0 > 600_000) throw new Error(`no first full apply:\n${log}`);
      await sleep(200);
    }
    const firstApplyMs = Date.now() - t0;
    const objects = await api.request<{ data?: Record<string, string> }>({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/clusterops-system/configmaps/applyset-management.${STAGES[0]}` });
    const objectsPerPass = (objects.body.data?.objects ?? '').split('\n').filter(Boolean).length * STAGES.length;

    // Latency through the webhook, one cluster changed per commit.
    const latencyMs: number[] = [];
    for (let r = 0; r < LATENCY_RUNS; r++) {
      const i = 42 + r;
      repo.write(`clusters/${stageOf(i)}/${nameOf(i)}.yaml`, dockerCluster(nameOf(i), { replicas: 2 + r }));
      const sha = repo.commit(`scale ${nameOf(i)}`);
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const start = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/hooks/git`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': githubSignature(SECRET, body) }, body });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      while ((await status(i)) !== sha) {
        if (Date.now() - start > 60_000) throw new Error(`${nameOf(i)} not at ${sha} within 60 s:\n${log}`);
        await sleep(10);
      }
      latencyMs.push(Date.now() - start);
      await sleep(1_000);
    }

    // A hand edit of a managed object (a Cluster's worker count, as `kubectl edit` would) until it is put back.
    const driftMs: number[] = [];
    for (let r = 0; r < LATENCY_RUNS; r++) {
      const i = 7 + r;
      const clusterPath = `/apis/cluster.x-k8s.io/v1beta2/namespaces/${stageOf(i)}/clusters/${nameOf(i)}`;
      const replicas = async () => ((await api.request<any>({ verb: 'get', method: 'GET', path: clusterPath })).body.spec.topology.workers.machineDeployments[0].replicas as number);
      const wanted = await replicas();
      const start = Date.now();
      await api.request({
        verb: 'patch',
        method: 'PATCH',
        path: clusterPath,
        query: { fieldManager: 'kubectl-edit' },
        contentType: 'application/json-patch+json',
        body: [{ op: 'replace', path: '/spec/topology/workers/machineDeployments/0/replicas', value: wanted + 5 }],
      });
      while ((await replicas()) !== wanted) {
        if (Date.now() - start > 120_000) throw new Error(`${nameOf(i)}'s hand edit not put back within 120 s:\n${log}`);
        await sleep(10);
      }
      driftMs.push(Date.now() - start);
      await sleep(500);
    }

    // At rest: no commits, no polling from here; the drift interval passes twice in the window.
    await sleep(2_000);
    const rest0 = await apiserverRequests(metrics);
    const restKinds0 = await requestsByKind(metrics);
    const own0 = await reconcilerRequests(port);
    const restStart = Date.now();
    let restRssSum = 0;
    let restSamples = 0;
    while (Date.now() - restStart < REST_WINDOW_MS) {
      await sleep(1_000);
      restRssSum += rssMb(pid);
      restSamples++;
    }
    const restKinds = grown(restKinds0, await requestsByKind(metrics));
    const own = grown(own0, await reconcilerRequests(port));
    const restTotal = (await apiserverRequests(metrics)) - rest0 - 2;
    const restPerMinute = restTotal * (60_000 / (Date.now() - restStart));
    // The reconciler's own count (its client's), not the API server's total minus a background that moves.
    const requestsPerMinute = own.filter(([verb]) => verb !== 'retry').reduce((n, [, d]) => n + d, 0) * (60_000 / (Date.now() - restStart));
    clearInterval(sampler);

    // Baseline: kubectl applies the same one-cluster change (the Cluster object as synthesized).
    const out = path.join(work, 'synth');
    await run(process.execPath, [path.join(repo.dir, 'bin', 'clusterops.js'), 'synth', '--clusters', 'clusters', '--out-dir', out], { cwd: repo.dir });
    const i = 42;
    const docs = parseAllDocuments(await readFile(path.join(out, stageOf(i), 'management.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: any });
    const cluster = docs.find((d) => d.kind === 'Cluster' && d.metadata.name === nameOf(i))!;
    for (const md of cluster.spec.topology.workers?.machineDeployments ?? []) md.replicas = 7;
    const file = path.join(work, 'one-cluster.json');
    await writeFile(file, JSON.stringify(cluster));
    const kubectl = kubectlBinary();
    const kubectlRuns: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = Date.now();
      await run(kubectl, ['--kubeconfig', controlPlane.kubeconfigPath, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'bench-kubectl', '-f', file]);
      kubectlRuns.push(Date.now() - start);
    }
    const kubectlMs = Math.min(...kubectlRuns);
    api.close();
    metrics.close();

    const result: ReconcilerBenchResult = {
      clusters: CLUSTERS,
      objectsPerPass,
      firstApplyMs,
      latencyMs,
      driftMs,
      kubectlMs,
      requestsPerMinute: Math.round(requestsPerMinute),
      backgroundPerMinute: Math.round(backgroundPerMinute),
      rssAtRestMb: Math.round(restRssSum / Math.max(1, restSamples)),
      peakRssMb: Math.round(peakRss),
    };
    const worst = Math.max(...latencyMs);
    const median = [...latencyMs].sort((a, b) => a - b)[Math.floor(latencyMs.length / 2)];
    const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
    process.stdout.write(
      [
        `reconciler: ${CLUSTERS} clusters in ${STAGES.length} stages (${objectsPerPass} management objects), real synth in a child per revision, interval ${INTERVAL}`,
        `  first full apply (start to every status.revision):  ${(firstApplyMs / 1000).toFixed(1)} s`,
        `  commit-to-applied through the webhook:              median ${median} ms, worst ${worst} ms of ${latencyMs.join(', ')} (target median <= ${TARGET_LATENCY_MS} ms: ${verdict(median <= TARGET_LATENCY_MS)})`,
        `  of which the revision's fetch-to-synthesized (install, build, synth child), per commit: ${synthesized.slice(1).map((x) => `${x.ms} ms (${Object.entries(x.timings).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('; ')}`,
        `  baseline kubectl apply --server-side, same change:  ${kubectlMs} ms (best of ${kubectlRuns.length}: ${kubectlRuns.join(', ')}); reconciler/kubectl = ${(median / kubectlMs).toFixed(1)}x`,
        `  a hand edit put back (kubectl-edit of a Cluster until reverted): ${driftMs.join(', ')} ms (target <= 1000 ms: ${verdict(Math.max(...driftMs) <= 1000)})`,
        `  API requests per minute at rest:                    ${result.requestsPerMinute} sent by the reconciler (${own.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); API server total ${Math.round(restPerMinute)}/min, ${result.backgroundPerMinute}/min before the reconciler started`,
        `    the API server's total in the window: ${restKinds.slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ')}`,
        `  resident memory of the reconciler process:          ${result.rssAtRestMb} MB at rest, peak ${result.peakRssMb} MB (target <= ${TARGET_RSS_MB} MB: ${verdict(result.peakRssMb <= TARGET_RSS_MB)}); synth children not included`,
        '',
      ].join('\n'),
    );
    return result;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await controlPlane?.stop();
    repo.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runReconcilerBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
