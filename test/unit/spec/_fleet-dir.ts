import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes `files` (relative path -> content) into a new temporary clusters folder and returns it. */
export function fleetDir(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'clusterops-fleet-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

/** A valid WorkloadCluster document; `spec` lines are indented by the caller's template. */
export function clusterYaml(name: string, spec: string): string {
  return `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata:
  name: ${name}
spec:
${spec}`;
}

/** A minimal valid docker cluster spec (5 lines). */
export const DOCKER_SPEC = `  provider: docker
  kubernetesVersion: v1.34.2
  controlPlane: {replicas: 1}
  nodePools:
    - {name: general, replicas: 2}
`;
