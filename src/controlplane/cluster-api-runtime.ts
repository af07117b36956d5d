/**
 * Real Cluster API in a local management cluster: the core, kubeadm bootstrap and kubeadm
 * control-plane managers (built by `tools/build-capi.sh`) as local processes next to the control
 * plane, with their admission webhooks served on loopback, plus any further controllers (the
 * `local` provider). Every process is restarted when it exits and dies with its owner. What runs is
 * recorded in `<stateDir>/controllers.json` for `clusterops controlplane status`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../kube/client.js';
import { adminClient } from './_admin-client.js';
import { readOptional } from './_read-optional.js';
import { sleep, startTime } from './_proc.js';
import { ControlPlaneError } from './errors.js';
import { pickFreePorts } from './free-ports.js';
import { ensurePki } from './pki.js';
import { RestartingProcess, type ControllerSpec } from './restarting-process.js';
import { stateFiles } from './state-file.js';
import { applyWebhookConfigurations, removeWebhookConfigurations, webhookConfigurations } from './webhook-configurations.js';
import { CLUSTER_API_MANAGERS, clusterApiBinaries, clusterApiCrdDir, repositoryRoot, type ClusterApiManager, type ProgressSink } from './upstream-assets.js';

/** Options of ClusterApiRuntime.start. */
export interface ClusterApiRuntimeOptions {
  /** State dir of the running management control plane (its PKI signs the webhook certificate; logs go there). */
  stateDir: string;
  /** Admin kubeconfig of that control plane. */
  kubeconfig: string;
  /** Folder `tools/crds.sh` prints (it holds the webhook manifests). @default runs tools/crds.sh */
  crdDir?: string;
  /** Paths of the managers. @default what tools/build-capi.sh builds */
  binaries?: Record<ClusterApiManager, string>;
  /** Controllers started once Cluster API serves its webhooks (e.g. the `local` provider). */
  controllers?: ControllerSpec[];
  /** @default no progress output */
  progress?: ProgressSink;
  /** How long the managers may take to become ready. @default 180_000 */
  timeoutMs?: number;
}

/**
 * The `local` provider (`clusterops local-provider`) as a controller next to the managers. Its
 * workload clusters live in `localClustersDir` (by default next to the management plane's state;
 * elsewhere when they must outlive it, as the machines of a cloud outlive a lost management
 * cluster: `rebuild`, `drill`); they keep running when it stops and are adopted when it starts again.
 */
export function localProviderController(stateDir: string, kubeconfig: string, localClustersDir = join(stateDir, 'local-clusters')): ControllerSpec {
  return {
    name: 'local-provider',
    command: process.execPath,
    args: [join(repositoryRoot(), 'bin', 'clusterops.js'), 'local-provider', '--kubeconfig', kubeconfig, '--state-dir', localClustersDir],
  };
}

/** The webhook manifest (in `<crdDir>/webhooks/`) of each manager. */
const WEBHOOK_SOURCE: Record<ClusterApiManager, string> = {
  'capi-manager': 'capi',
  'capi-kubeadm-bootstrap-manager': 'capi-kubeadm-bootstrap',
  'capi-kubeadm-control-plane-manager': 'capi-kubeadm-control-plane',
};

/** Cluster API's topology controller (ClusterClass) is still behind an alpha gate, off by default. */
export const FEATURE_GATES = 'ClusterTopology=true';

/** Contents of `<stateDir>/controllers.json`. */
export interface ControllersState {
  version: 1;
  processes: Record<string, { pid: number; startTime: number; restarts: number }>;
  ports: Record<string, { webhook?: number; health?: number; diagnostics?: number }>;
}

/** Reads `<stateDir>/controllers.json`, or undefined when no controllers were ever started there. */
export async function readControllersState(stateDir: string): Promise<ControllersState | undefined> {
  const text = await readOptional(controllersFile(stateDir));
  return text === undefined ? undefined : (JSON.parse(text) as ControllersState);
}

function controllersFile(stateDir: string): string {
  return join(stateFiles(stateDir).dir, 'controllers.json');
}

async function writeControllersState(stateDir: string, state: ControllersState): Promise<void> {
  const path = controllersFile(stateDir);
  await writeFile(`${path}.${process.pid}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(`${path}.${process.pid}.tmp`, path);
}

/** The Cluster API managers and further controllers of one management control plane. */
export class ClusterApiRuntime {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly stateDir: string,
    private readonly client: KubeClient,
    private readonly managers: RestartingProcess[],
    private readonly controllers: RestartingProcess[],
    private readonly state: ControllersState,
  ) {}

  /** Starts the managers, waits until each is ready, installs their webhooks, then starts the controllers. */
  static async start(options: ClusterApiRuntimeOptions): Promise<ClusterApiRuntime> {
    const progress = options.progress ?? (() => undefined);
    const began = Date.now();
    const files = stateFiles(options.stateDir);
    const binaries = options.binaries ?? (await clusterApiBinaries(progress));
    const crdDir = options.crdDir ?? (await clusterApiCrdDir(progress));
    const pki = await ensurePki(files.dir);
    const ca = await readFile(pki.ca.cert, 'utf8');
    const client = await adminClient(options.kubeconfig, { timeoutMs: 30_000 });
    const ports = await pickFreePorts(CLUSTER_API_MANAGERS.length * 3);
    const state: ControllersState = { version: 1, processes: {}, ports: {} };
    // Writes one after the other, so a later state never loses to an earlier one.
    let saving = Promise.resolve();
    const save = () => (saving = saving.then(() => writeControllersState(files.dir, state)));
    const track = (spec: ControllerSpec) =>
      new RestartingProcess(spec, join(files.logs, `${spec.name}.log`), (event) => {
        const restarts = state.processes[spec.name] ? state.processes[spec.name].restarts + (event.type === 'started' ? 1 : 0) : 0;
        state.processes[spec.name] = { pid: event.pid, startTime: startTime(event.pid) ?? 0, restarts };
        void save().catch(() => undefined);
      });

    const managers: RestartingProcess[] = [];
    const controllers: RestartingProcess[] = [];
    const runtime = new ClusterApiRuntime(files.dir, client, managers, controllers, state);
    try {
      // Webhooks of managers that no longer run (a killed supervisor) would refuse every write.
      await removeWebhookConfigurations(client);
      progress(`controlplane: starting Cluster API ${CLUSTER_API_MANAGERS.join(', ')} (logs in ${files.logs})`);
      CLUSTER_API_MANAGERS.forEach((name, i) => {
        const [webhook, health, diagnostics] = ports.slice(i * 3, i * 3 + 3);
        state.ports[name] = { webhook, health, diagnostics };
        managers.push(
          track({
            name,
            command: binaries[name],
            args: [
              '--leader-elect=false',
              `--feature-gates=${FEATURE_GATES}`,
              `--webhook-port=${webhook}`,
              `--webhook-cert-dir=${pki.dir}`,
              '--webhook-cert-name=webhook-server.crt',
              '--webhook-key-name=webhook-server.key',
              `--health-addr=127.0.0.1:${health}`,
              `--diagnostics-address=127.0.0.1:${diagnostics}`,
              '--insecure-diagnostics=true',
            ],
            env: { ...process.env, KUBECONFIG: options.kubeconfig },
          }),
        );
      });
      await save();
      const deadline = began + (options.timeoutMs ?? 180_000);
      await Promise.all(CLUSTER_API_MANAGERS.map((name, i) => waitReady(name, managers[i], state.ports[name].health!, deadline, files.logs)));
      for (const name of CLUSTER_API_MANAGERS) {
        await applyWebhookConfigurations(client, await webhookConfigurations(crdDir, WEBHOOK_SOURCE[name], state.ports[name].webhook!, ca));
      }
      progress(`controlplane: Cluster API ready after ${((Date.now() - began) / 1000).toFixed(1)} s (webhooks on 127.0.0.1)`);
      for (const spec of options.controllers ?? []) {
        controllers.push(track(spec));
        progress(`controlplane: started ${spec.name}`);
      }
      await save();
      return runtime;
    } catch (error) {
      await runtime.stop();
      throw error;
    }
  }

  /** Stops the controllers, removes the webhooks, then stops the managers. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.controllers.map((proc) => proc.stop()));
      await removeWebhookConfigurations(this.client).catch(() => undefined);
      await Promise.all(this.managers.map((proc) => proc.stop()));
      this.client.close();
      this.state.processes = {};
      await writeControllersState(this.stateDir, this.state).catch(() => undefined);
    })();
    return this.stopping;
  }
}

/**
 * What a manager's log says it died of, when it is a limit of the machine: each controller-runtime
 * manager watches its certificates with inotify, and every local cluster's processes hold instances
 * too, so a machine running many local clusters runs out (`too many open files`).
 */
async function knownCause(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  if (/problem running manager" err="too many open files"/.test(text.slice(-20_000))) {
    return ': "too many open files", the inotify instances of this machine are used up (raise them: sysctl -w fs.inotify.max_user_instances=1024)';
  }
  return '';
}

/** Polls the manager's `/readyz` (plain HTTP on loopback) until it answers 200; fails when it keeps crashing. */
async function waitReady(name: string, proc: RestartingProcess, port: number, deadline: number, logs: string): Promise<void> {
  for (;;) {
    if (proc.exits >= 3) throw new ControlPlaneError(`${name} keeps exiting (${proc.exits} times)${await knownCause(join(logs, `${name}.log`))}; see ${join(logs, `${name}.log`)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new ControlPlaneError(`timed out waiting for ${name} to be ready; see ${join(logs, `${name}.log`)}`);
    await sleep(250);
  }
}
