/**
 * `<stateDir>/state.json`: what another process needs to find a running control plane — its
 * processes (pid and start time), ports, server URL and kubeconfig — plus the lock that keeps two
 * owners out of one state dir.
 */
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ControlPlaneError } from './errors.js';
import { readOptional } from './_read-optional.js';
import { isRunning, processRef, type ProcessRef } from './_proc.js';

/** The programs of a control plane, in start order. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
/** One of COMPONENTS. */
export type Component = (typeof COMPONENTS)[number];

/** Loopback ports of one control plane. */
export interface ControlPlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
}

/** Contents of state.json. */
export interface ControlPlaneState {
  version: 1;
  stateDir: string;
  phase: 'starting' | 'running' | 'stopped';
  /** The process that owns the components; they die with it. */
  owner: ProcessRef;
  /** True when the owner is the detached supervisor (`clusterops controlplane start`), which may be asked to stop. */
  detached: boolean;
  server: string;
  kubeconfig: string;
  ports: ControlPlanePorts;
  processes: Partial<Record<Component, ProcessRef>>;
  /** Folder of the programs that run. */
  binaries: string;
  startedAt: string;
  /** Milliseconds from start to a ready API server, when it got there. */
  readyAfterMs?: number;
}

/** The files of a state dir. */
export function stateFiles(stateDir: string) {
  const dir = resolve(stateDir);
  return {
    dir,
    state: join(dir, 'state.json'),
    lock: join(dir, 'owner.lock'),
    logs: join(dir, 'logs'),
    etcdData: join(dir, 'etcd'),
    kubeconfig: join(dir, 'kubeconfig'),
  };
}

/** Reads state.json, or undefined when there is none. */
export async function readState(stateDir: string): Promise<ControlPlaneState | undefined> {
  const text = await readOptional(stateFiles(stateDir).state);
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as ControlPlaneState;
    if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (error) {
    throw new ControlPlaneError(`${stateFiles(stateDir).state} is not a control plane state file: ${(error as Error).message}`);
  }
}

/** Replaces state.json atomically. */
export async function writeState(state: ControlPlaneState): Promise<void> {
  const path = stateFiles(state.stateDir).state;
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
}

/** Processes of a state that are still running (pid and start time both match). */
export function runningProcesses(state: ControlPlaneState): Array<[Component, ProcessRef]> {
  return COMPONENTS.flatMap((name) => {
    const ref = state.processes[name];
    return isRunning(ref) ? [[name, ref] as [Component, ProcessRef]] : [];
  });
}

/**
 * Takes the owner lock of a state dir for this process. A lock whose owner is gone is taken over;
 * a live owner makes this throw, naming its pid.
 */
export async function acquireOwnerLock(stateDir: string): Promise<ProcessRef> {
  const files = stateFiles(stateDir);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const me = processRef(process.pid);
  if (!me) throw new Error('cannot read this process from /proc');
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the content first and hard-link it into place: the lock never exists half-written.
    const temporary = `${files.lock}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(me), { mode: 0o600 });
    try {
      await link(temporary, files.lock);
      return me;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(temporary, { force: true });
    }
    const holder = await readLock(files.lock);
    if (holder && isRunning(holder)) {
      if (holder.pid === me.pid && holder.startTime === me.startTime) {
        throw new ControlPlaneError(`this process already runs a control plane in ${files.dir}`);
      }
      throw new ControlPlaneError(
        `a control plane is already running in ${files.dir} (owner pid ${holder.pid}); stop it first or use another --state-dir`,
      );
    }
    await rm(files.lock, { force: true });
  }
  throw new ControlPlaneError(`cannot take the lock ${files.lock}`);
}

/** Gives the owner lock up, when this process holds it. */
export async function releaseOwnerLock(stateDir: string): Promise<void> {
  const lock = stateFiles(stateDir).lock;
  const holder = await readLock(lock);
  if (holder?.pid === process.pid) await rm(lock, { force: true });
}

async function readLock(path: string): Promise<ProcessRef | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ProcessRef;
  } catch {
    return undefined;
  }
}

/** Removes the owner lock when the process holding it is gone. */
export async function releaseStaleOwnerLock(stateDir: string): Promise<void> {
  const lock = stateFiles(stateDir).lock;
  const holder = await readLock(lock);
  if (holder && !isRunning(holder)) await rm(lock, { force: true });
}
