/**
 * Benchmark of the whole chain as `npm start` runs it: a commit that adds a `local` cluster ->
 * the reconciler applies the stage -> real Cluster API -> our local provider starts a real workload
 * control plane and registers the Node -> add-ons applied inside -> WorkloadCluster Ready. Reports,
 * per cluster added (one after another, three runs): commit -> `<cluster>-kubeconfig` usable,
 * -> Cluster Available, -> WorkloadCluster Ready; and the RSS of one local cluster's processes.
 * Baseline in the same run: starting a bare local control plane (etcd + kube-apiserver +
 * kube-controller-manager, what each local cluster runs) with ControlPlane.start, so the ratio is
 * what Cluster API, the provider and the reconciler add on top of the processes themselves.
 * `npm run bench -- capi-build` (not in the default run: minutes of CPU) times the managers' build.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterApiRuntime, localProviderController } from '../../src/controlplane/cluster-api-runtime.js';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { stopControlPlane } from '../../src/controlplane/control-plane-stop.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import { getObject } from '../integration/apply/_helpers.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';
import { GitSource } from '../../src/reconciler/git-source.js';
import { silentLogger } from '../../src/reconciler/logger.js';
import { ReconcilerMetrics } from '../../src/reconciler/metrics.js';
import { Reconciler } from '../../src/reconciler/reconciler.js';
import { SynthRunner } from '../../src/reconciler/synth-runner.js';
import { PROJECT_ROOT, projectRepo } from '../integration/reconciler/_project-repo.js';
import { spread } from './_stats.js';

const RUNS = 3;
const STAGE = 'bench';

type Obj = Record<string, any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** Milliseconds from `since` until `check` holds (polled every 100 ms). */
async function until(since: number, what: string, check: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

const conditionTrue = (o: Obj | undefined, type: string) => !!o?.status?.conditions?.some((c: Obj) => c.type === type && c.status === 'True');

function rssMiB(dir: string): number {
  let kib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmd.some((a) => a.includes(dir)) || cmd[0].endsWith('setpriv') || cmd[0] === '/bin/sh') continue;
      kib += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return Math.round(kib / 1024);
}

function clusterYaml(name: string): string {
  return `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata: {name: ${name}, labels: {team: bench}}
spec:
  provider: local
  controlPlane: {replicas: 1}
  nodePools: [{name: general, replicas: 1}]
  network: {podCIDRs: [10.244.0.0/16], serviceCIDRs: [10.96.0.0/12]}
`;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function runLocalBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-local-bench-'));
  // Baseline: one bare control plane, as a local cluster runs it, started and stopped.
  const baselineStart = Date.now();
  const bare = await ControlPlane.start({ stateDir: path.join(dir, 'bare'), progress: () => undefined });
  const baselineMs = Date.now() - baselineStart;
  await bare.stop();

  const mgmtDir = path.join(dir, 'management');
  const management = await ControlPlane.start({ stateDir: mgmtDir, progress: () => undefined });
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-local-bench-work-'));
  const repo = projectRepo({ [`clusters/${STAGE}/stage.yaml`]: `apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: ${STAGE}}\nspec:\n  defaults:\n    kubernetesVersion: v1.36.3\n    addons: {priority-classes: {}}\n` });
  let clusterApi: ClusterApiRuntime | undefined;
  let reconciler: Reconciler | undefined;
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: management.kubeconfigPath }));
  const localDir = path.join(mgmtDir, 'local-clusters');
  try {
    await installClusterApiCrds(management.kubeconfigPath);
    const capiStart = Date.now();
    clusterApi = await ClusterApiRuntime.start({
      stateDir: mgmtDir,
      kubeconfig: management.kubeconfigPath,
      controllers: [localProviderController(mgmtDir, management.kubeconfigPath)],
    });
    const capiMs = Date.now() - capiStart;
    reconciler = new Reconciler({
      source: new GitSource({ url: repo.url, dir: path.join(work, 'git') }),
      synthesizer: new SynthRunner({ cacheDir: path.join(work, 'cache'), logger: silentLogger(), seedInstallations: [PROJECT_ROOT] }),
      api: client,
      logger: silentLogger(),
      metrics: new ReconcilerMetrics({ defaultMetrics: false }),
      pollIntervalMs: 60_000,
      driftIntervalMs: 60_000,
    });
    reconciler.start();
    // The first pass (the stage alone) is done before the first commit is timed.
    await until(Date.now(), 'the first pass', async () => reconciler!.hasSynced);

    const kubeconfigMs: number[] = [];
    const availableMs: number[] = [];
    const readyMs: number[] = [];
    let rss = 0;
    for (let i = 1; i <= RUNS; i++) {
      const name = `c${i}`;
      repo.write(`clusters/${STAGE}/${name}.yaml`, clusterYaml(name));
      repo.commit(`add ${name}`);
      const t0 = Date.now();
      reconciler.requestFetch(); // what a verified push to /hooks/git does
      const secret = `/api/v1/namespaces/${STAGE}/secrets/${name}-kubeconfig`;
      kubeconfigMs.push(await until(t0, `${name}-kubeconfig`, async () => (await getObject(client, secret)) !== undefined));
      availableMs.push(await until(t0, `${name} Available`, async () => conditionTrue(await getObject(client, `/apis/cluster.x-k8s.io/v1beta2/namespaces/${STAGE}/clusters/${name}`), 'Available')));
      readyMs.push(await until(t0, `${name} Ready`, async () => conditionTrue(await getObject(client, `/apis/clusterops.io/v1alpha1/namespaces/${STAGE}/workloadclusters/${name}`), 'Ready')));
      rss = rssMiB(path.join(localDir, STAGE, name));
    }
    const k = spread(kubeconfigMs);
    const a = spread(availableMs);
    const r = spread(readyMs);
    process.stdout.write(
      [
        `baseline: a bare local control plane (etcd + kube-apiserver + kube-controller-manager) started in ${fmt(baselineMs)}`,
        `Cluster API managers + local provider ready in ${fmt(capiMs)}`,
        `commit -> <cluster>-kubeconfig usable:           median ${fmt(k.median)} (min ${fmt(k.min)}, max ${fmt(k.max)}, ${k.runs} runs)`,
        `commit -> Cluster Available (Cluster API says):  median ${fmt(a.median)} (min ${fmt(a.min)}, max ${fmt(a.max)})`,
        `commit -> WorkloadCluster Ready (add-ons inside): median ${fmt(r.median)} (min ${fmt(r.min)}, max ${fmt(r.max)}); ${(r.median / baselineMs).toFixed(1)}x the bare control plane start; goal < 30 s`,
        `RSS of one local cluster's processes (supervisor, etcd, kube-apiserver, kube-controller-manager): ${rss} MiB`,
        '',
      ].join('\n'),
    );
  } finally {
    await reconciler?.stop();
    reconciler?.close();
    await clusterApi?.stop();
    for (const ns of readdirSync(localDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const c of readdirSync(path.join(localDir, ns.name), { withFileTypes: true }).filter((d) => d.isDirectory())) {
        await stopControlPlane(path.join(localDir, ns.name, c.name)).catch(() => undefined);
      }
    }
    client.close();
    await management.stop();
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the three Cluster API managers into a fresh cache: warm (this machine's Go build cache) and cold (an empty one). */
export async function runCapiBuildBench(): Promise<void> {
  const script = path.join(PROJECT_ROOT, 'tools', 'build-capi.sh');
  for (const kind of ['warm', 'cold'] as const) {
    const cache = mkdtempSync(path.join(tmpdir(), `clusterops-capi-${kind}-`));
    const env = { ...process.env, CLUSTEROPS_CACHE_DIR: cache, CLUSTEROPS_CAPI_BIN: '', ...(kind === 'cold' ? { GOCACHE: path.join(cache, 'gocache') } : {}) };
    const t0 = Date.now();
    const { stderr } = await promisify(execFile)('bash', [script], { env, maxBuffer: 64 * 1024 * 1024 });
    const perManager = stderr.split('\n').filter((l) => / built in \d+ s$/.test(l) && !l.includes(' into ')).map((l) => l.replace('tools/build-capi.sh: ', ''));
    process.stdout.write(`Cluster API managers, ${kind} Go build cache: ${fmt(Date.now() - t0)} (${perManager.join('; ')})\n`);
    rmSync(cache, { recursive: true, force: true });
  }
}
