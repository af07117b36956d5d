import { writeFleet } from '../../../src/testing.js';

/** Writes `files` (relative path -> content) into a new temporary clusters folder and returns it. */
export const fleetDir = (files: Record<string, string | Buffer>): string => writeFleet(files);

/**
 * A WorkloadCluster document as raw text; `spec` lines are indented by the caller's template. For
 * tests whose expected errors name lines and columns, where the exact layout matters (valid
 * declarations elsewhere come from declarationYaml in src/testing.ts).
 */
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
