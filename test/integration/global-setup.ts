/**
 * Integration-test global setup: one real control plane per run (etcd, kube-apiserver,
 * kube-controller-manager) in a temporary state dir, with the Cluster API and provider CRDs
 * installed. Tests get its admin kubeconfig with `inject('kubeconfig')` or from
 * CLUSTEROPS_TEST_KUBECONFIG. Setting CLUSTEROPS_TEST_KUBECONFIG beforehand reuses that cluster instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import { stderrProgress } from '../../src/controlplane/upstream-assets.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the run's shared control plane (CRDs installed). */
    kubeconfig: string;
  }
}

/** Starts the shared control plane and returns the teardown that stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.CLUSTEROPS_TEST_KUBECONFIG;
  if (existing) {
    stderrProgress(`integration: using the cluster of CLUSTEROPS_TEST_KUBECONFIG=${existing}`);
    project.provide('kubeconfig', existing);
    return async () => undefined;
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'clusterops-it-'));
  const controlPlane = await ControlPlane.start({ stateDir, progress: stderrProgress });
  try {
    await installClusterApiCrds(controlPlane.kubeconfigPath, { progress: stderrProgress });
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  project.provide('kubeconfig', controlPlane.kubeconfigPath);
  process.env.CLUSTEROPS_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  return async () => {
    await controlPlane.stop();
    delete process.env.CLUSTEROPS_TEST_KUBECONFIG;
    if (!process.env.CLUSTEROPS_KEEP_STATE) await rm(stateDir, { recursive: true, force: true });
  };
}
