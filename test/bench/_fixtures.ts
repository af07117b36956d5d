/** Fixtures the benchmarks share: generated fleets on disk, relocated copies of sets, kubectl. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installClusterApiCrds } from '../../src/controlplane/crds.js';
import type { KubeObject, ManifestSet } from '../../src/model/manifest-set.js';
import { generatedFleet } from '../fixtures/fleets.js';

/** Writes a generated fleet as declaration files, one per cluster, in stage folders. */
export function writeFleet(count: number): string {
  const root = mkdtempSync(path.join(tmpdir(), 'clusterops-bench-'));
  const fleet = generatedFleet(count, { 'default-deny-policies': {}, 'priority-classes': {} });
  for (const c of fleet.clusters) {
    mkdirSync(path.join(root, c.stage), { recursive: true });
    const doc = {
      apiVersion: 'clusterops.io/v1alpha1',
      kind: 'WorkloadCluster',
      metadata: { name: c.name, labels: c.labels },
      spec: { ...c.spec, kubernetesVersion: 'v1.34.2' },
    };
    writeFileSync(path.join(root, c.stage, `${c.name}.yaml`), stringify(doc));
  }
  return root;
}

/** Moves every object into namespaces suffixed with `suffix` (Namespace objects renamed alike). */
export function relocate(sets: ManifestSet[], suffix: string): ManifestSet[] {
  return sets.map((set) => ({
    ...set,
    id: `${set.id}${suffix}`,
    objects: set.objects.map((obj): KubeObject => {
      const copy = structuredClone(obj);
      if (copy.kind === 'Namespace' && copy.apiVersion === 'v1') copy.metadata.name += suffix;
      else if (copy.metadata.namespace) copy.metadata.namespace += suffix;
      return copy;
    }),
  }));
}

/** The newest kubectl on the machine (closest to the 1.36 server), else `kubectl` on PATH. */
export function kubectlBinary(): string {
  for (const minor of [36, 35, 34, 33, 32]) {
    const candidate = `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;
    if (existsSync(candidate)) return candidate;
  }
  return 'kubectl';
}

/** The cluster a benchmark runs against: CLUSTEROPS_BENCH_KUBECONFIG's, or a control plane of its own in `workDir` with the CRDs installed. */
export async function benchCluster(workDir: string): Promise<{ kubeconfig: string; stop: () => Promise<void> }> {
  const given = process.env.CLUSTEROPS_BENCH_KUBECONFIG;
  if (given) return { kubeconfig: given, stop: async () => undefined };
  const controlPlane = await ControlPlane.start({ stateDir: path.join(workDir, 'controlplane'), progress: () => undefined });
  try {
    await installClusterApiCrds(controlPlane.kubeconfigPath);
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return { kubeconfig: controlPlane.kubeconfigPath, stop: () => controlPlane.stop() };
}
