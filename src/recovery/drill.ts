/**
 * `clusterops drill`: a rehearsal of a rebuild on this machine that harms nothing. In a scratch
 * folder: a repository with a fleet of `local` clusters, a Pulumi file backend, a management cluster
 * with Cluster API and the local provider (whose workload clusters live outside the management
 * cluster's data, as machines outlive it); the fleet is brought up by the reconciler; then the
 * disaster (the management cluster's processes killed, its data removed), `rebuild`, the reconciler
 * again; then the checks of drill-checks.ts and the RTO: disaster → every WorkloadCluster Ready at
 * the branch head again.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { controlPlaneDirsUnder, controlPlaneStatus, readState, startDetachedControlPlane, stopControlPlane, stopControlPlanesUnder } from '../controlplane/index.js';
import { repositoryRoot } from '../controlplane/upstream-assets.js';
import { Discovery, resourcePath } from '../kube/discovery.js';
import { KubeClient, KubeError } from '../kube/client.js';
import { Kubeconfig, loadKubeconfig } from '../kube/kubeconfig.js';
import type { Fleet } from '../model/fleet.js';
import { initStack, runManagementStack } from '../pulumi/stack-run.js';
import { startReconcilerProcess, type ReconcilerProcess } from '../reconciler/reconciler-process.js';
import { loadFleet } from '../spec/load.js';
import { formatProblem } from '../spec/problem.js';
import { synthFleet } from '../synth/synth.js';
import { drillChecks, MISSING, type ClusterSnapshot, type DrillCheck, type FleetSnapshot, type ManagementView } from './drill-checks.js';
import { drillFleetFiles, drillStages, makeDrillRepo, readFleetDir } from './drill-repo.js';
import { rebuild, REBUILD_STEPS, type RebuildOptions, type RebuildStep } from './rebuild.js';

/** How to run a drill. */
export interface DrillOptions {
  /** The clusterops project whose code the scratch repository holds (package.json, src/, node_modules). */
  projectDir: string;
  /** A clusters folder of `local` clusters to rehearse with. @default a generated fleet of `count` */
  clustersDir?: string;
  /** Size of the generated fleet (one protected cluster, the rest in staging). @default 3 */
  count?: number;
  /** Scratch folder. @default a new temporary one, removed at the end */
  workDir?: string;
  /** Leave the scratch fleet running and its folder in place. @default false */
  keep?: boolean;
  /**
   * Rehearse a rebuild that dies half-way too: the first rebuild runs as its own process and is
   * SIGKILLed when it starts this step (e.g. `apply paused`); then it is run again. @default none
   */
  interruptRebuildAt?: string;
  /** Time allowed for each wait (fleet up, rebuild, Ready again). @default 15 min */
  timeoutMs?: number;
  progress?: (line: string) => void;
}

/** The outcome, as `clusterops drill -o json` prints it. */
export interface DrillResult {
  passed: boolean;
  /** Disaster → every WorkloadCluster Ready at the branch head again. */
  rtoSeconds: number;
  clusters: Array<{ name: string; stage: string; protected: boolean }>;
  checks: DrillCheck[];
  steps: Array<{ name: string; seconds: number }>;
  /** The rebuild's own steps. */
  rebuildSteps: RebuildStep[];
  /** The scratch folder (removed unless `keep`). */
  workDir: string;
}

/** A drill that could not run (as opposed to one whose checks failed). */
export class DrillError extends Error {
  override name = 'DrillError';
  constructor(
    message: string,
    /** The steps done before it stopped. */
    readonly steps: DrillResult['steps'] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs the drill; see the file comment. */
export async function drill(options: DrillOptions): Promise<DrillResult> {
  const say = options.progress ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 900_000;
  if (options.interruptRebuildAt && !(REBUILD_STEPS as readonly string[]).includes(options.interruptRebuildAt)) {
    throw new DrillError(`--interrupt-rebuild-at ${JSON.stringify(options.interruptRebuildAt)} is not a step of rebuild (${REBUILD_STEPS.join(', ')})`);
  }
  // A folder of its own: the drill removes what it makes there and kills what runs from it.
  if (options.workDir && existsSync(options.workDir) && readdirSync(options.workDir).length > 0) {
    throw new DrillError(`--work-dir ${options.workDir} is not empty; give a new or empty folder`);
  }
  const work = options.workDir ?? (await mkdtemp(path.join(tmpdir(), 'clusterops-drill-')));
  const dirs = {
    repo: path.join(work, 'repo'),
    state: path.join(work, 'state'),
    management: path.join(work, 'management'),
    localClusters: path.join(work, 'local-clusters'),
    reconciler: path.join(work, 'reconciler'),
    kubeconfigs: path.join(work, 'kubeconfigs'),
  };
  for (const dir of [dirs.state, dirs.kubeconfigs]) mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString('hex') };
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const backend = `file://${dirs.state}`;
  // Its settings file (Pulumi.<stack>.yaml) lands beside Pulumi.yaml: a name of its own, removed at the end.
  const STACK = `drill-${randomBytes(3).toString('hex')}`;
  const steps: DrillResult['steps'] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    say(`drill: ${name} ...`);
    const value = await run();
    steps.push({ name, seconds: (Date.now() - began) / 1000 });
    say(`drill: ${name}: done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return value;
  };
  const logFile = path.join(work, 'reconciler.log');
  let reconciler: ReconcilerProcess | undefined;
  const startReconciler = async (kubeconfig: string) =>
    startReconcilerProcess({
      repo: `file://${dirs.repo}`,
      branch: 'main',
      kubeconfig,
      cacheDir: dirs.reconciler,
      pollIntervalMs: 2_000,
      leaderElection: false,
      seedInstallations: [options.projectDir],
      logger: pino({ level: 'info' }, pino.destination({ dest: logFile, append: true, sync: false })),
    });

  try {
    const { fleet, revision } = await step('scratch fleet', async () => {
      const files = options.clustersDir ? readFleetDir(options.clustersDir) : drillFleetFiles(drillStages(options.count ?? 3));
      const revision = makeDrillRepo(dirs.repo, options.projectDir, files);
      const { fleet, problems } = await loadFleet(path.join(dirs.repo, 'clusters'));
      if (!fleet) throw new DrillError(`the drill's fleet does not load:\n${problems.map(formatProblem).join('\n')}`);
      if (!fleet.clusters.length) throw new DrillError('the drill\'s fleet has no cluster: there is nothing to rehearse');
      const shortBy = inotifyShortfall(fleet.clusters.length);
      if (shortBy > 0) {
        throw new DrillError(
          `this machine's inotify instances would run out (${shortBy} short): each local cluster's kube-apiserver and kube-controller-manager hold ~${INOTIFY_PER_CLUSTER}, ` +
            `the management cluster ~${INOTIFY_MANAGEMENT}; raise them first: sysctl -w fs.inotify.max_user_instances=${nextPowerOfTwo(readInotifyLimit() + shortBy)}`,
        );
      }
      const other = fleet.clusters.filter((c) => c.spec.provider !== 'local');
      if (other.length) throw new DrillError(`a drill brings clusters up on this machine: provider local only, not ${other.map((c) => `${c.stage}/${c.name} (${c.spec.provider})`).join(', ')}`);
      return { fleet, revision };
    });
    const declared = fleet.clusters.map((c) => `${c.stage}/${c.name}`).sort();
    const stackOptions = { projectDir: options.projectDir, clusters: path.join(dirs.repo, 'clusters'), backend, stack: STACK };

    const management = await step('management cluster', () =>
      startDetachedControlPlane({ stateDir: dirs.management, withCapi: true, localClustersDir: dirs.localClusters }),
    );
    await step('pulumi up (identities)', async () => {
      await initStack(stackOptions, { stages: { value: fleet.stages.map((s) => s.name).concat(fleet.clusters.map((c) => c.stage)).filter((v, i, a) => a.indexOf(v) === i).join(',') }, scope: { value: 'identities' } }, env);
      await runManagementStack({ ...stackOptions, kubeconfig: management.kubeconfig, up: true }, env);
    });
    reconciler = await startReconciler(management.kubeconfig);
    await step('fleet up', () => waitFleetReady(management.kubeconfig, fleet, revision, timeoutMs, say));
    const before = await step('snapshot before', async () => {
      await saveKubeconfigs(management.kubeconfig, fleet, dirs.kubeconfigs);
      return snapshot(fleet, dirs);
    });

    // The disaster: no process of the management cluster left, its data gone.
    const disasterAt = Date.now();
    await step('disaster', async () => {
      await reconciler?.stop();
      reconciler = undefined;
      await killManagement(dirs.management);
      await rm(dirs.management, { recursive: true, force: true });
    });
    // Every rebuild of the drill is this one (the killed one as `clusterops rebuild` with the same flags).
    const rebuildOptions: RebuildOptions = {
      repo: `file://${dirs.repo}`,
      branch: 'main',
      stack: STACK,
      backend,
      projectDir: options.projectDir,
      management: { stateDir: dirs.management, localClustersDir: dirs.localClusters },
      timeoutMs,
      env,
      progress: (line) => say(`  ${line}`),
    };
    if (options.interruptRebuildAt) {
      const flags = ['--repo', rebuildOptions.repo, '--branch', 'main', '--stack', STACK, '--backend', backend, '--project-dir', options.projectDir, '--state-dir', dirs.management, '--local-clusters-dir', dirs.localClusters];
      await step(`rebuild killed at "${options.interruptRebuildAt}"`, () => killedRebuild(options.interruptRebuildAt!, flags, env, say));
    }
    const report = await step('rebuild', () => rebuild(rebuildOptions));
    reconciler = await startReconciler(report.kubeconfig);
    await step('Ready at the branch head', () => waitFleetReady(report.kubeconfig, fleet, revision, timeoutMs, say));
    const rtoSeconds = (Date.now() - disasterAt) / 1000;
    // Idempotent: a second rebuild of the rebuilt fleet (the reconciler running, held back by the Lease) changes nothing.
    const again = await step('rebuild again', () => rebuild(rebuildOptions));
    await step('Ready again', () => waitFleetReady(report.kubeconfig, fleet, revision, timeoutMs, say));
    const after = await step('snapshot after', () => snapshot(fleet, dirs));
    const view = await managementView(report.kubeconfig, fleet, revision);
    const checks = drillChecks(declared, before, after, view, { stackChanges: again.steps.find((s) => s.name === 'pulumi up --refresh')?.detail ?? '' });
    return {
      passed: checks.every((c) => c.passed),
      rtoSeconds,
      clusters: fleet.clusters.map((c) => ({ name: c.name, stage: c.stage, protected: c.spec.deletionProtection })),
      checks,
      steps,
      rebuildSteps: report.steps,
      workDir: work,
    };
  } catch (error) {
    throw new DrillError(error instanceof Error ? error.message : String(error), [...steps], { cause: error });
  } finally {
    if (!options.keep) {
      await reconciler?.stop().catch(() => undefined);
      await teardown(dirs, say);
      await rm(path.join(options.projectDir, `Pulumi.${STACK}.yaml`), { force: true });
      if (!options.workDir) await rm(work, { recursive: true, force: true });
    } else {
      say(`drill: kept ${work} running (management kubeconfig ${path.join(dirs.management, 'kubeconfig')}); stop it with clusterops controlplane stop --state-dir ...`);
    }
  }
}

/**
 * Runs `clusterops rebuild ARGS` as its own process (the same clusterops entry this process runs)
 * and SIGKILLs it as it starts `stepName`; resolves once it is dead.
 */
async function killedRebuild(stepName: string, args: string[], env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<void> {
  const entry = process.argv[1] ?? path.join(repositoryRoot(), 'bin', 'clusterops.js');
  const child = spawn(process.execPath, [...process.execArgv, entry, 'rebuild', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let reached = false;
  let tail = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail = `${tail}\n${line}`.slice(-2_000);
    if (!reached && line.includes(`] ${stepName} ...`)) {
      reached = true;
      say(`  killed (SIGKILL) as it began: ${line.trim()}`);
      child.kill('SIGKILL');
    }
  });
  await exited;
  if (!reached) throw new DrillError(`the rebuild to interrupt ended before it reached "${stepName}":${tail}`);
}

/** inotify instances one local cluster's processes hold (measured: kube-apiserver 6, kube-controller-manager 5). */
const INOTIFY_PER_CLUSTER = 11;
/** The same for the management cluster with the three Cluster API managers. */
const INOTIFY_MANAGEMENT = 14;

function readInotifyLimit(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim());
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** How many inotify instances a drill of `count` clusters lacks on this machine (0 when enough, or when it cannot tell). */
function inotifyShortfall(count: number): number {
  const limit = readInotifyLimit();
  if (!Number.isFinite(limit)) return 0;
  let used = 0;
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') used++;
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return Math.max(0, used + INOTIFY_PER_CLUSTER * count + INOTIFY_MANAGEMENT + 8 - limit);
}

const nextPowerOfTwo = (n: number) => 2 ** Math.ceil(Math.log2(n));

/** Waits until every WorkloadCluster of the fleet is Ready at `revision`. */
async function waitFleetReady(kubeconfig: string, fleet: Fleet, revision: string, timeoutMs: number, say: (line: string) => void): Promise<void> {
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  try {
    for (;;) {
      const waiting = await notReadyAt(client, fleet, revision);
      if (!waiting.length) return;
      const line = `  Ready ${fleet.clusters.length - waiting.length}/${fleet.clusters.length}; waiting for ${waiting.slice(0, 3).join('; ')}${waiting.length > 3 ? '; …' : ''}`;
      if (line !== last) say(line);
      last = line;
      if (Date.now() > deadline) throw new DrillError(`the fleet was not Ready at ${revision.slice(0, 12)} in time: ${waiting.join('; ')}`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  } finally {
    client.close();
  }
}

interface WorkloadClusterObject {
  status?: { revision?: string; conditions?: Array<{ type: string; status: string; message?: string }> };
}

/** The clusters not Ready at `revision`, with why. */
async function notReadyAt(client: KubeClient, fleet: Fleet, revision: string): Promise<string[]> {
  const waiting: string[] = [];
  for (const c of fleet.clusters) {
    let wc: WorkloadClusterObject | undefined;
    try {
      wc = (await client.request<WorkloadClusterObject>({ verb: 'get', method: 'GET', path: `/apis/clusterops.io/v1alpha1/namespaces/${c.stage}/workloadclusters/${c.name}` })).body;
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
    }
    const ready = wc?.status?.conditions?.find((x) => x.type === 'Ready');
    if (ready?.status !== 'True' || wc?.status?.revision !== revision) {
      waiting.push(`${c.stage}/${c.name}: ${wc ? `Ready=${ready?.status ?? 'Unknown'} at ${wc.status?.revision?.slice(0, 7) ?? 'no revision'}${ready?.message ? ` (${ready.message.split('\n')[0]})` : ''}` : 'no WorkloadCluster yet'}`);
    }
  }
  return waiting;
}

/** Saves each cluster's kubeconfig (its `<cluster>-kubeconfig` Secret) as a user would before the disaster. */
async function saveKubeconfigs(kubeconfig: string, fleet: Fleet, dir: string): Promise<void> {
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  try {
    for (const c of fleet.clusters) {
      const { body } = await client.request<{ data?: { value?: string } }>({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/${c.stage}/secrets/${c.name}-kubeconfig` });
      writeFileSync(path.join(dir, `${c.stage}-${c.name}`), Buffer.from(body.data?.value ?? '', 'base64'), { mode: 0o600 });
    }
  } finally {
    client.close();
  }
}

/** The fleet seen from outside the management cluster: processes, etcd, Nodes and add-on objects, with the saved kubeconfigs. */
async function snapshot(fleet: Fleet, dirs: { localClusters: string; kubeconfigs: string }): Promise<FleetSnapshot> {
  const addonSets = new Map(synthFleet(fleet).filter((s) => s.target.kind === 'workload').map((s) => [s.id, s]));
  const clusters: ClusterSnapshot[] = [];
  for (const c of fleet.clusters) {
    const key = `${c.stage}/${c.name}`;
    // Only processes that run now (a look at /proc), not what the state file last recorded.
    const status = await controlPlaneStatus(path.join(dirs.localClusters, c.stage, c.name), { probe: false });
    const pids: Record<string, number> = Object.fromEntries(status.components.flatMap((p) => (p.running && p.pid ? [[p.component, p.pid]] : [])));
    if (status.state?.detached && status.ownerRunning) pids.supervisor = status.state.owner.pid;
    const row: ClusterSnapshot = { key, pids, nodes: {}, addons: {} };
    let client: KubeClient | undefined;
    try {
      client = await KubeClient.fromKubeConfig(Kubeconfig.fromString(readFileSync(path.join(dirs.kubeconfigs, `${c.stage}-${c.name}`), 'utf8')), { maxRetries: 2, timeoutMs: 10_000 });
      row.kubeSystemUid = (await client.request<{ metadata: { uid: string } }>({ verb: 'get', method: 'GET', path: '/api/v1/namespaces/kube-system' })).body.metadata.uid;
      const nodes = (await client.request<{ items: Array<{ metadata: { name: string; uid: string } }> }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' })).body.items;
      row.nodes = Object.fromEntries(nodes.map((n) => [n.metadata.name, n.metadata.uid]));
      const discovery = new Discovery(client);
      for (const object of [...addonSets.values()].find((s) => s.target.kind === 'workload' && s.target.stage === c.stage && s.target.cluster === c.name)?.objects ?? []) {
        const info = await discovery.resolve(object.apiVersion, object.kind);
        const live = await client.request<{ metadata: { uid: string } }>({ verb: 'get', method: 'GET', path: resourcePath(info, object.metadata.namespace, object.metadata.name) }).catch(() => undefined);
        row.addons[`${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`] = live?.body.metadata.uid ?? MISSING;
      }
    } catch (error) {
      row.error = `cannot read it with the kubeconfig taken before: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      client?.close();
    }
    clusters.push(row);
  }
  return { clusters, controlPlaneDirs: await controlPlaneDirsUnder(dirs.localClusters) };
}

/** What the rebuilt management cluster holds: Clusters, Machines, and WorkloadClusters not Ready at `revision`. */
async function managementView(kubeconfig: string, fleet: Fleet, revision: string): Promise<ManagementView> {
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }));
  try {
    type List = { items: Array<{ metadata: { name: string; namespace: string } }> };
    const clusters = (await client.request<List>({ verb: 'list', method: 'GET', path: '/apis/cluster.x-k8s.io/v1beta2/clusters' })).body.items.map((c) => `${c.metadata.namespace}/${c.metadata.name}`).sort();
    const machines = (await client.request<List>({ verb: 'list', method: 'GET', path: '/apis/cluster.x-k8s.io/v1beta2/machines' })).body.items.length;
    return { clusters, machines, notReady: await notReadyAt(client, fleet, revision) };
  } finally {
    client.close();
  }
}

/** Kills the management cluster's supervisor (its components and controllers die with it) and waits until none of them runs. */
async function killManagement(stateDir: string): Promise<void> {
  const state = await readState(stateDir);
  if (state) {
    try {
      process.kill(state.owner.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = processesNaming(stateDir);
    if (!left.length) return;
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Pids of live processes whose command line names `dir`. */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) return [];
      return readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(dir)) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

/** Stops the scratch management cluster and every workload control plane of the drill. */
async function teardown(dirs: { management: string; localClusters: string }, say: (line: string) => void): Promise<void> {
  await stopControlPlane(dirs.management).catch(() => undefined);
  await stopControlPlanesUnder(dirs.localClusters, () => undefined, (key, error) => say(`drill: cannot stop ${key}: ${error.message}`));
}
