/**
 * The workload control planes this provider runs: one real etcd + kube-apiserver +
 * kube-controller-manager per cluster, owned by a detached supervisor (src/controlplane), so they
 * outlive the provider process; state in `<state-dir>/<namespace>/<cluster>/`. A running one is
 * adopted only when its CA is the cluster's CA; otherwise it is left alone and reported. The same
 * test lets a new LocalCluster (a management cluster rebuilt after a loss) take the endpoint of the
 * control plane that kept running (runningEndpointOf).
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  controlPlaneStatus,
  startDetachedControlPlane,
  stopControlPlane,
  type ControlPlaneState,
  type ControlPlaneStatus,
  type PkiSeed,
} from '../controlplane/index.js';

/** What ensure found or did. */
export type EnsureAction = 'running' | 'adopted' | 'started';

/** The outcome of ensure. */
export interface EnsureOutcome {
  action: EnsureAction;
  /** `/readyz` answered. */
  ready: boolean;
  server: string;
  /** Admin kubeconfig file in the state dir (client certificate signed by the cluster CA). */
  kubeconfig: string;
  /** Pids of etcd, kube-apiserver, kube-controller-manager and the supervisor. */
  pids: Record<string, number>;
  /** For `started`: milliseconds until the API server and controllers were ready. */
  startedInMs?: number;
}

/** A running control plane that is not the one of this cluster (another CA, or another port). */
export class IdentityMismatchError extends Error {
  override name = 'IdentityMismatchError';
}

/** What one workload control plane is made of. */
export interface WorkloadSpec {
  namespace: string;
  cluster: string;
  port: number;
  seed: PkiSeed & { ca: { cert: string; key: string } };
}

/** The version `kube-apiserver --version` of a binaries folder prints, e.g. `v1.36.3`. */
export async function binariesVersion(binDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(join(binDir, 'kube-apiserver'), ['--version'], { timeout: 30_000 });
  const match = /Kubernetes (v\d+\.\d+\.\d+\S*)/.exec(stdout);
  if (!match) throw new Error(`cannot read the version of ${join(binDir, 'kube-apiserver')}: ${stdout.trim()}`);
  return match[1];
}

/** The control planes under one state dir. */
export class WorkloadControlPlanes {
  /** Clusters this process has seen running (so a later look says `running`, not `adopted`). */
  private readonly known = new Set<string>();

  constructor(
    readonly stateRoot: string,
    private readonly binDir: string,
  ) {}

  /** `<state-dir>/<namespace>/<cluster>` */
  dirOf(namespace: string, cluster: string): string {
    return join(this.stateRoot, namespace, cluster);
  }

  /** Adopts the running control plane of `spec`, or starts it (again) on the same data. */
  async ensure(spec: WorkloadSpec): Promise<EnsureOutcome> {
    const dir = this.dirOf(spec.namespace, spec.cluster);
    const key = `${spec.namespace}/${spec.cluster}`;
    const { status, running } = await this.look(dir, spec.seed.ca.cert);
    if (running) {
      if (!running.sameCa) {
        throw new IdentityMismatchError(`the control plane running in ${dir} has another CA than Secret ${spec.namespace}/${spec.cluster}-ca; it is left alone`);
      }
      if (running.state.ports.apiserver !== spec.port) {
        throw new IdentityMismatchError(`the control plane running in ${dir} listens on ${running.state.ports.apiserver}, not on the endpoint port ${spec.port}`);
      }
      const action: EnsureAction = this.known.has(key) ? 'running' : 'adopted';
      this.known.add(key);
      return { action, ready: status.ready === true, server: running.state.server, kubeconfig: running.state.kubeconfig, pids: pidsOf(status) };
    }
    if (status.condition !== 'stopped' || status.ownerRunning) await stopControlPlane(dir);
    const began = Date.now();
    const started = await startDetachedControlPlane({
      stateDir: dir,
      crds: false,
      binDir: this.binDir,
      clusterName: spec.cluster,
      apiserverPort: spec.port,
      pkiSeed: spec.seed,
    });
    this.known.add(key);
    const after = await controlPlaneStatus(dir, { probe: false });
    return { action: 'started', ready: true, server: started.server, kubeconfig: started.kubeconfig, pids: pidsOf(after), startedInMs: Date.now() - began };
  }

  /**
   * The API server port of the control plane running for the cluster, when its CA is `caCert` (the
   * cluster's, from Secret `<cluster>-ca`); undefined when none runs or it is another cluster's. A
   * look at /proc and the CA file, no request.
   */
  async runningEndpointOf(namespace: string, cluster: string, caCert: string): Promise<number | undefined> {
    const { running } = await this.look(this.dirOf(namespace, cluster), caCert, { probe: false });
    return running?.sameCa ? running.state.ports.apiserver : undefined;
  }

  /**
   * What runs in `dir`: `running` is set when every process and their supervisor run, with whether
   * its CA is `caCert` — the one test of "is this running control plane the cluster's?".
   */
  private async look(dir: string, caCert: string, options: { probe?: boolean } = {}): Promise<{ status: ControlPlaneStatus; running?: { state: ControlPlaneState; sameCa: boolean } }> {
    const status = await controlPlaneStatus(dir, options);
    if (status.condition !== 'running' || !status.ownerRunning || !status.state) return { status };
    const ca = await readFile(join(dir, 'pki', 'ca.crt'), 'utf8').catch(() => '');
    return { status, running: { state: status.state, sameCa: ca.trim() !== '' && ca.trim() === caCert.trim() } };
  }

  /** Whether every process of the cluster's control plane runs (a look at /proc, no request). */
  async isRunning(namespace: string, cluster: string): Promise<boolean> {
    const status = await controlPlaneStatus(this.dirOf(namespace, cluster), { probe: false });
    return status.condition === 'running' && status.ownerRunning;
  }

  /** Whether a state dir exists for the cluster. */
  async exists(namespace: string, cluster: string): Promise<boolean> {
    return readdir(this.dirOf(namespace, cluster)).then(
      () => true,
      () => false,
    );
  }

  /** Clusters (`namespace/cluster`) this process runs or adopted. */
  get clusters(): string[] {
    return [...this.known];
  }

  /** Stops the cluster's processes (no process left) and deletes its state dir. */
  async remove(namespace: string, cluster: string): Promise<void> {
    const dir = this.dirOf(namespace, cluster);
    await stopControlPlane(dir);
    await rm(dir, { recursive: true, force: true });
    await rmdir(join(this.stateRoot, namespace)).catch(() => undefined);
    this.known.delete(`${namespace}/${cluster}`);
  }
}

function pidsOf(status: Awaited<ReturnType<typeof controlPlaneStatus>>): Record<string, number> {
  const pids: Record<string, number> = Object.fromEntries(status.components.flatMap((c) => (c.pid && c.running ? [[c.component, c.pid]] : [])));
  if (status.state?.detached && status.ownerRunning) pids.supervisor = status.state.owner.pid;
  return pids;
}
