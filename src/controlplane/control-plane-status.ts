/** What `clusterops controlplane status` reports: a control plane's state as seen from any process. */
import type { KubeClient } from '../kube/client.js';
import { adminClient, answers, PROBE_OPTIONS } from './_admin-client.js';
import { isRunning } from './_proc.js';
import { COMPONENTS, readState, stateFiles, type Component, type ControlPlaneState } from './state-file.js';

/** `running`: every component runs; `degraded`: some do; `stopped`: none does (or never started). */
export type ControlPlaneCondition = 'running' | 'degraded' | 'stopped';

/** A control plane's status. */
export interface ControlPlaneStatus {
  stateDir: string;
  condition: ControlPlaneCondition;
  /** Absent when the state dir never held a control plane. */
  state?: ControlPlaneState;
  components: Array<{ component: Component; pid?: number; running: boolean }>;
  /** The owner process (supervisor or test process) is alive. */
  ownerRunning: boolean;
  /** `/readyz` answered 200; only asked when every component runs. */
  ready?: boolean;
}

/** Reads state.json and checks each recorded process, and `/readyz` when all run (unless `probe` is false: a cheap look at /proc only). */
export async function controlPlaneStatus(stateDir: string, options: { probe?: boolean } = {}): Promise<ControlPlaneStatus> {
  const dir = stateFiles(stateDir).dir;
  const state = await readState(dir);
  const components = COMPONENTS.map((component) => {
    const ref = state?.processes[component];
    return { component, pid: ref?.pid, running: isRunning(ref) };
  });
  const runningCount = components.filter((entry) => entry.running).length;
  const condition: ControlPlaneCondition =
    runningCount === COMPONENTS.length ? 'running' : runningCount === 0 ? 'stopped' : 'degraded';
  const status: ControlPlaneStatus = { stateDir: dir, condition, state, components, ownerRunning: isRunning(state?.owner) };
  if (condition === 'running' && state && options.probe !== false) status.ready = await isReady(state.kubeconfig);
  return status;
}

async function isReady(kubeconfig: string): Promise<boolean> {
  let client: KubeClient | undefined;
  try {
    client = await adminClient(kubeconfig, PROBE_OPTIONS);
    return await answers(client, '/readyz');
  } catch {
    return false;
  } finally {
    client?.close();
  }
}
