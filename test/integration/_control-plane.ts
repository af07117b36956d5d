/**
 * Test helper for tests that need a control plane of their own (a second cluster, or one to stop and
 * restart): started in a temporary state dir, without CRDs unless asked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, type ControlPlaneOptions } from '../../src/controlplane/control-plane.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';

/** A control plane in its own temporary state dir. */
export interface TestControlPlane {
  controlPlane: ControlPlane;
  stateDir: string;
  kubeconfigPath: string;
  server: string;
  /** An admin client for it; closed by `stop`. */
  client: KubeClient;
  /** Stops the control plane (no process left) and, unless `keepState`, deletes its state dir. */
  stop(options?: { keepState?: boolean }): Promise<void>;
}

/** Options of startTestControlPlane. */
export interface TestControlPlaneOptions extends Partial<ControlPlaneOptions> {
  /** Install the Cluster API and provider CRDs. @default false */
  crds?: boolean;
}

/** Starts a control plane in a new temporary dir (or `stateDir`, to restart one). */
export async function startTestControlPlane(options: TestControlPlaneOptions = {}): Promise<TestControlPlane> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'clusterops-cp-')));
  const controlPlane = await ControlPlane.start({ progress: () => undefined, ...options, stateDir });
  if (options.crds) await installClusterApiCrds(controlPlane.kubeconfigPath);
  const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: controlPlane.kubeconfigPath }));
  return {
    controlPlane,
    stateDir,
    kubeconfigPath: controlPlane.kubeconfigPath,
    server: controlPlane.server,
    client,
    async stop({ keepState = false } = {}) {
      client.close();
      await controlPlane.stop();
      if (!keepState && !process.env.CLUSTEROPS_KEEP_STATE) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
