/**
 * Stopping a control plane from any process (what `clusterops controlplane stop` does): ask the
 * detached supervisor to stop its components, or signal the components directly, and wait until no
 * process is left.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlPlaneError } from './errors.js';
import { isRunning, signal, waitUntilGone, type ProcessRef } from './_proc.js';
import { STOP_GRACE_MS, STOP_ORDER } from './control-plane.js';
import { readState, releaseStaleOwnerLock, runningProcesses, writeState } from './state-file.js';
import type { ProgressSink } from './upstream-assets.js';

/** What a stop found and did. */
export interface StopResult {
  /** False when nothing was running. */
  wasRunning: boolean;
  /** Pids that were stopped. */
  stopped: number[];
}

/** How long the supervisor gets to stop its components before it is killed. */
const SUPERVISOR_GRACE_MS = 30_000;

/** Stops the control plane recorded in `<stateDir>/state.json`; resolves when none of its processes is left. */
export async function stopControlPlane(stateDir: string, progress: ProgressSink = () => undefined): Promise<StopResult> {
  const state = await readState(stateDir);
  if (!state) return { wasRunning: false, stopped: [] };
  const components = runningProcesses(state);
  const supervisor = state.detached && isRunning(state.owner) ? state.owner : undefined;
  const all: ProcessRef[] = [...(supervisor ? [supervisor] : []), ...components.map(([, ref]) => ref)];
  if (all.length === 0) {
    await releaseStaleOwnerLock(state.stateDir);
    return { wasRunning: false, stopped: [] };
  }

  if (supervisor) {
    progress(`controlplane: asking the supervisor (pid ${supervisor.pid}) to stop`);
    signal(supervisor.pid, 'SIGTERM');
    if (!(await waitUntilGone([supervisor], SUPERVISOR_GRACE_MS))) {
      progress(`controlplane: supervisor did not stop in time; killing it`);
      // Its components receive SIGKILL from the kernel when it dies (see supervised-process.ts).
      signal(supervisor.pid, 'SIGKILL');
      await waitUntilGone([supervisor], 5_000);
    }
  }
  for (const component of STOP_ORDER) {
    const ref = state.processes[component];
    if (!isRunning(ref)) continue;
    progress(`controlplane: stopping ${component} (pid ${ref.pid})`);
    signal(ref.pid, 'SIGTERM');
    if (!(await waitUntilGone([ref], STOP_GRACE_MS[component]))) signal(ref.pid, 'SIGKILL');
  }
  if (!(await waitUntilGone(all, 10_000))) {
    const left = all.filter((ref) => isRunning(ref)).map((ref) => ref.pid);
    throw new ControlPlaneError(`processes ${left.join(', ')} are still running after SIGKILL`);
  }
  const after = await readState(stateDir);
  if (after && after.phase !== 'stopped') {
    after.phase = 'stopped';
    after.processes = {};
    await writeState(after);
  }
  await releaseStaleOwnerLock(state.stateDir);
  return { wasRunning: true, stopped: all.map((ref) => ref.pid) };
}

/** The control-plane state dirs under `root` laid out as `<root>/<namespace>/<name>/` (the local provider's), as `namespace/name`, sorted. */
export async function controlPlaneDirsUnder(root: string): Promise<string[]> {
  const namespaces = await readdir(root, { withFileTypes: true }).catch(() => []);
  const keys: string[] = [];
  for (const ns of namespaces.filter((d) => d.isDirectory())) {
    for (const cluster of (await readdir(join(root, ns.name), { withFileTypes: true })).filter((d) => d.isDirectory())) keys.push(`${ns.name}/${cluster.name}`);
  }
  return keys.sort();
}

/** Stops every control plane under `root` (see controlPlaneDirsUnder; their data stays); `onStopped` hears of each that ran, `onError` of each that could not be stopped. */
export async function stopControlPlanesUnder(root: string, onStopped: (key: string) => void, onError: (key: string, error: Error) => void = () => undefined): Promise<void> {
  for (const key of await controlPlaneDirsUnder(root)) {
    const result = await stopControlPlane(join(root, key)).catch((error: Error) => void onError(key, error));
    if (result?.wasRunning) onStopped(key);
  }
}
