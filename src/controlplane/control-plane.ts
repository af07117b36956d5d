/**
 * A real local Kubernetes control plane — etcd, kube-apiserver and kube-controller-manager built from
 * upstream — owned by the calling Node process. Everything lives in one state dir (PKI, etcd data,
 * logs, kubeconfigs, state.json), so starting again on the same dir keeps identity and data, and
 * several control planes run side by side in different dirs. The components die with their owner.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KubeClient } from '../kube/client.js';
import { adminClient, answers, PROBE_OPTIONS } from './_admin-client.js';
import { ControlPlaneError } from './errors.js';
import { pickFreePorts } from './free-ports.js';
import { writeControlPlaneKubeconfigs, type ControlPlaneKubeconfigs } from './kubeconfig.js';
import { ensurePki, FRONT_PROXY_CLIENT_NAME, SERVICE_CIDR, type PkiPaths } from './pki.js';
import { signal, sleep, startTime, waitUntilGone } from './_proc.js';
import {
  acquireOwnerLock,
  COMPONENTS,
  readState,
  releaseOwnerLock,
  runningProcesses,
  stateFiles,
  writeState,
  type Component,
  type ControlPlanePorts,
  type ControlPlaneState,
} from './state-file.js';
import { describeExit, markStart, START_MARKER, SupervisedProcess, type ProcessExit } from './supervised-process.js';
import { binariesIn, controlPlaneBinaries, stderrProgress, type BinaryPaths, type ProgressSink } from './upstream-assets.js';

/** How to start a control plane. */
export interface ControlPlaneOptions {
  /** Folder for PKI, etcd data, logs, kubeconfigs and state.json; created when missing. */
  stateDir: string;
  /**
   * Folder holding etcd, kube-apiserver and kube-controller-manager.
   * @default the folder `tools/build.sh` prints (which honours KUBEBUILDER_ASSETS)
   */
  binDir?: string;
  /** Receives progress lines. @default writes them to stderr */
  progress?: ProgressSink;
  /** How long the API server may take to become ready. @default 180_000 */
  timeoutMs?: number;
  /** Name of the cluster, context and user in the admin kubeconfig. @default 'clusterops-local' */
  clusterName?: string;
  /**
   * Also wait until kube-controller-manager works (the `default` ServiceAccount exists).
   * @default true
   */
  waitForControllers?: boolean;
  /** Recorded in state.json: the owner is the detached supervisor, which `stop` may signal. @default false */
  detached?: boolean;
  /**
   * The API server's port, fixed (e.g. a workload cluster's control-plane endpoint); a taken port is an error.
   * @default the previous start's port when still free, else a free one
   */
  apiserverPort?: number;
}

/** A component that died while the control plane was meant to run. */
export interface ComponentFailure {
  component: Component;
  exit: ProcessExit;
  logFile: string;
}

/** The service-account issuer; also the default audience of service-account tokens. */
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** What a component's command line is built from. */
interface LaunchContext {
  dir: string;
  pki: PkiPaths;
  ports: ControlPlanePorts;
  kubeconfigs: ControlPlaneKubeconfigs;
  etcdData: string;
}

/** The command line of each component, one row each. */
const ARGS: Record<Component, (ctx: LaunchContext) => string[]> = {
  etcd: ({ pki, ports, etcdData }) => {
    const peer = `https://127.0.0.1:${ports.etcdPeer}`;
    const client = `https://127.0.0.1:${ports.etcdClient}`;
    return [
      '--name=clusterops',
      `--data-dir=${etcdData}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=clusterops=${peer}`,
      '--listen-metrics-urls=',
      `--cert-file=${pki.etcdServer.cert}`,
      `--key-file=${pki.etcdServer.key}`,
      '--client-cert-auth=true',
      `--trusted-ca-file=${pki.etcdCa.cert}`,
      `--peer-cert-file=${pki.etcdServer.cert}`,
      `--peer-key-file=${pki.etcdServer.key}`,
      '--peer-client-cert-auth=true',
      `--peer-trusted-ca-file=${pki.etcdCa.cert}`,
      // A local, disposable control plane: a killed process loses nothing, only a power cut would.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ];
  },
  'kube-apiserver': ({ dir, pki, ports }) => [
    `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
    `--etcd-cafile=${pki.etcdCa.cert}`,
    `--etcd-certfile=${pki.apiserverEtcdClient.cert}`,
    `--etcd-keyfile=${pki.apiserverEtcdClient.key}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(dir, 'pki', 'apiserver-generated')}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    // Request-header authentication for aggregated API servers, as kubeadm sets it up.
    `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_NAME}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // Endpoints may not point at loopback addresses, so there is nothing to reconcile.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
  ],
  'kube-controller-manager': ({ pki, kubeconfigs }) => [
    `--kubeconfig=${kubeconfigs.kubeControllerManager}`,
    `--service-account-private-key-file=${pki.serviceAccount.privateKey}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    '--use-service-account-credentials=true',
    '--controllers=*',
    '--leader-elect=false',
    // The default client rate limit (20/s) makes the start of ~40 controllers take seconds; this is a local cluster.
    '--kube-api-qps=200',
    '--kube-api-burst=400',
    '--bind-address=127.0.0.1',
    // No HTTPS endpoint: nothing scrapes it, and a fixed default port would clash between control planes.
    '--secure-port=0',
    '--profiling=false',
  ],
};

/** Components in the order they stop: dependants first. */
export const STOP_ORDER: Component[] = ['kube-controller-manager', 'kube-apiserver', 'etcd'];
/** How long each component gets to stop after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS: Record<Component, number> = { 'kube-controller-manager': 5_000, 'kube-apiserver': 10_000, etcd: 10_000 };
const START_ATTEMPTS = 3;

/** A running control plane owned by this process. */
export class ControlPlane {
  /** Resolves when a component dies on its own (never after `stop()` began). */
  readonly failure: Promise<ComponentFailure>;
  private stopping: Promise<void> | undefined;

  private constructor(
    private current: ControlPlaneState,
    private readonly processes: Map<Component, SupervisedProcess>,
    private readonly client: KubeClient,
  ) {
    this.failure = new Promise((resolve) => {
      for (const [component, proc] of processes) {
        void proc.exited.then((exit) => {
          if (!this.stopping) resolve({ component, exit, logFile: logFile(current.stateDir, component) });
        });
      }
    });
  }

  /** Starts etcd, kube-apiserver and kube-controller-manager and resolves once the API server is ready. */
  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    const files = stateFiles(options.stateDir);
    const progress = options.progress ?? stderrProgress;
    const owner = await acquireOwnerLock(files.dir);
    try {
      const binaries = options.binDir ? binariesIn(options.binDir) : await controlPlaneBinaries(progress);
      const pki = await ensurePki(files.dir);
      await mkdir(files.logs, { recursive: true, mode: 0o700 });
      await mkdir(files.etcdData, { recursive: true, mode: 0o700 });
      const previous = await readState(files.dir).catch(() => undefined);
      if (previous) await killOrphans(previous, progress);
      let preferred = previous ? [previous.ports.etcdClient, previous.ports.etcdPeer, previous.ports.apiserver] : [];
      for (let attempt = 1; ; attempt++) {
        const [etcdClient, etcdPeer, apiserver] = await pickPorts(preferred, options.apiserverPort);
        try {
          return await ControlPlane.launch(options, progress, { owner, binaries, pki, ports: { etcdClient, etcdPeer, apiserver } });
        } catch (error) {
          if (!(error instanceof PortTakenError) || attempt >= START_ATTEMPTS) throw error;
          progress(`controlplane: ${error.message}; trying other ports`);
          preferred = [];
        }
      }
    } catch (error) {
      await releaseOwnerLock(files.dir);
      throw error;
    }
  }

  private static async launch(
    options: ControlPlaneOptions,
    progress: ProgressSink,
    setup: { owner: ControlPlaneState['owner']; binaries: BinaryPaths; pki: PkiPaths; ports: ControlPlanePorts },
  ): Promise<ControlPlane> {
    const began = Date.now();
    const files = stateFiles(options.stateDir);
    const server = `https://127.0.0.1:${setup.ports.apiserver}`;
    const kubeconfigs = await writeControlPlaneKubeconfigs(files.dir, options.clusterName ?? 'clusterops-local', server, setup.pki);
    const state: ControlPlaneState = {
      version: 1,
      stateDir: files.dir,
      phase: 'starting',
      owner: setup.owner,
      detached: options.detached ?? false,
      server,
      kubeconfig: kubeconfigs.admin,
      ports: setup.ports,
      processes: {},
      binaries: dirname(setup.binaries['kube-apiserver']),
      startedAt: new Date(began).toISOString(),
    };
    const ctx: LaunchContext = { dir: files.dir, pki: setup.pki, ports: setup.ports, kubeconfigs, etcdData: files.etcdData };
    const processes = new Map<Component, SupervisedProcess>();
    const client = await adminClient(kubeconfigs.admin, PROBE_OPTIONS);
    const launch = async (component: Component) => {
      const proc = startComponent(component, setup.binaries[component], ARGS[component](ctx), files.dir);
      processes.set(component, proc);
      state.processes[component] = { pid: proc.pid, startTime: startTime(proc.pid) ?? 0 };
      await writeState(state);
    };
    const deadline = began + (options.timeoutMs ?? 180_000);
    try {
      await writeState(state);
      progress(`controlplane: starting etcd and kube-apiserver on ${server} (logs in ${files.logs})`);
      await launch('etcd');
      await launch('kube-apiserver');
      await waitFor('kube-apiserver /readyz', deadline, processes, files.dir, () => answers(client, '/readyz'));
      state.readyAfterMs = Date.now() - began;
      progress(`controlplane: kube-apiserver ready after ${(state.readyAfterMs / 1000).toFixed(1)} s`);
      await launch('kube-controller-manager');
      if (options.waitForControllers ?? true) {
        await waitFor('kube-controller-manager (ServiceAccount default/default)', deadline, processes, files.dir, () =>
          answers(client, '/api/v1/namespaces/default/serviceaccounts/default'),
        );
        progress(`controlplane: kube-controller-manager running after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      }
      state.phase = 'running';
      await writeState(state);
      return new ControlPlane(state, processes, client);
    } catch (error) {
      await stopAll(processes);
      client.close();
      state.phase = 'stopped';
      state.processes = {};
      await writeState(state);
      throw error;
    }
  }

  /** Absolute path of the state dir. */
  get stateDir(): string {
    return this.current.stateDir;
  }

  /** The admin kubeconfig (`<stateDir>/kubeconfig`), with embedded certificates. */
  get kubeconfigPath(): string {
    return this.current.kubeconfig;
  }

  /** `https://127.0.0.1:<port>` */
  get server(): string {
    return this.current.server;
  }

  /** A copy of what state.json holds. */
  get state(): ControlPlaneState {
    return structuredClone(this.current);
  }

  /** Pids of the running components. */
  get pids(): Record<Component, number> {
    return Object.fromEntries(COMPONENTS.map((name) => [name, this.processes.get(name)?.pid ?? 0])) as Record<Component, number>;
  }

  /** Stops the components (SIGTERM, then SIGKILL after a grace period) and resolves when none is left. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await stopAll(this.processes);
      this.client.close();
      this.current.phase = 'stopped';
      this.current.processes = {};
      await writeState(this.current);
      await releaseOwnerLock(this.current.stateDir);
    })();
    return this.stopping;
  }
}

/** Ports for etcd (client, peer) and the API server; a fixed API server port is never handed to etcd. */
async function pickPorts(preferred: number[], apiserverPort: number | undefined): Promise<number[]> {
  if (apiserverPort === undefined) return pickFreePorts(3, preferred);
  for (;;) {
    const [etcdClient, etcdPeer] = await pickFreePorts(2, preferred.slice(0, 2));
    if (etcdClient !== apiserverPort && etcdPeer !== apiserverPort) return [etcdClient, etcdPeer, apiserverPort];
    preferred = [];
  }
}

/** Thrown when a component could not listen on its port; the start is retried on other ports. */
class PortTakenError extends ControlPlaneError {}

/** `<stateDir>/logs/<component>.log` */
export function logFile(stateDir: string, component: Component): string {
  return join(stateFiles(stateDir).logs, `${component}.log`);
}

function startComponent(component: Component, command: string, args: string[], stateDir: string): SupervisedProcess {
  const log = logFile(stateDir, component);
  markStart(log, command);
  return SupervisedProcess.spawn({ name: component, command, args, logFile: log });
}

/** Polls `check` until it is true; fails early, with the end of its log, when a component exits. */
async function waitFor(
  what: string,
  deadline: number,
  processes: Map<Component, SupervisedProcess>,
  stateDir: string,
  check: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    for (const [component, proc] of processes) {
      const exit = proc.exitStatus;
      if (exit) throw await componentError(component, exit, stateDir);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new ControlPlaneError(`timed out waiting for ${what}; see the logs in ${stateFiles(stateDir).logs}`);
    }
    await sleep(200);
  }
}

async function componentError(component: Component, exit: ProcessExit, stateDir: string): Promise<ControlPlaneError> {
  const log = logFile(stateDir, component);
  const text = await readFile(log, 'utf8').catch(() => '');
  const tail = text
    .slice(text.lastIndexOf(START_MARKER))
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .slice(-8);
  const message = `${component} ${describeExit(exit)}; last lines of ${log}:\n  ${tail.join('\n  ')}`;
  return /address already in use/i.test(tail.join('\n')) ? new PortTakenError(`${component}: a port was taken`) : new ControlPlaneError(message);
}

/** Kills components a previous, vanished owner left running (the kernel normally does; this is a backstop). */
async function killOrphans(previous: ControlPlaneState, progress: ProgressSink): Promise<void> {
  const orphans = runningProcesses(previous);
  if (orphans.length === 0) return;
  progress(`controlplane: killing ${orphans.map(([name, ref]) => `${name} (pid ${ref.pid})`).join(', ')} left by a previous owner`);
  for (const [, ref] of orphans) signal(ref.pid, 'SIGKILL');
  await waitUntilGone(orphans.map(([, ref]) => ref), 10_000);
}

async function stopAll(processes: Map<Component, SupervisedProcess>): Promise<void> {
  for (const component of STOP_ORDER) {
    await processes.get(component)?.stop(STOP_GRACE_MS[component]);
  }
}
