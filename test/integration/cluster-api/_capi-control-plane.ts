/**
 * A control plane of a test's own with the real Cluster API managers running next to it (and any
 * further controllers), CRDs installed with their contract labels. Stopping it leaves no process.
 */
import { ClusterApiRuntime } from '../../../src/controlplane/cluster-api-runtime.js';
import type { ControllerSpec } from '../../../src/controlplane/restarting-process.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';

/** A TestControlPlane whose Cluster API runs. */
export interface CapiTestControlPlane extends TestControlPlane {
  clusterApi: ClusterApiRuntime;
}

/** Starts it; `controllers` (of the started plane) start once Cluster API serves its webhooks. */
export async function startCapiControlPlane(
  options: { controllers?: (plane: TestControlPlane) => ControllerSpec[]; stateDir?: string } = {},
): Promise<CapiTestControlPlane> {
  const plane = await startTestControlPlane({ crds: true, stateDir: options.stateDir });
  let clusterApi: ClusterApiRuntime;
  try {
    clusterApi = await ClusterApiRuntime.start({ stateDir: plane.stateDir, kubeconfig: plane.kubeconfigPath, controllers: options.controllers?.(plane) });
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return {
    ...plane,
    clusterApi,
    async stop(stopOptions) {
      await clusterApi.stop();
      await plane.stop(stopOptions);
    },
  };
}
