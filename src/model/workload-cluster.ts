/**
 * The validated, defaulted form of a `WorkloadCluster` declaration: what every later stage of the
 * flow (charts, synth, apply) reads. Produced only by the loader in `load.ts`.
 */

/** Infrastructure providers that clusterops can synthesize a ClusterClass for. */
export const PROVIDERS = ['docker', 'aws', 'azure', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** A node pool: one MachineDeployment in the cluster topology. */
export interface NodePool {
  name: string;
  /** Fixed size; absent when `autoscaling` is set. */
  replicas?: number;
  /** Cluster-autoscaler bounds; absent when `replicas` is set. */
  autoscaling?: { min: number; max: number };
  machineType?: string;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
}

/** The desired state of one workload cluster, after stage defaults were merged under it. */
export interface WorkloadClusterSpec {
  provider: Provider;
  /** Required by aws and azure. */
  region?: string;
  /** `vX.Y.Z`, within SUPPORTED_KUBERNETES_MINORS. */
  kubernetesVersion: string;
  controlPlane: { replicas: 1 | 3 | 5; machineType?: string };
  nodePools: NodePool[];
  network: { podCIDRs: string[]; serviceCIDRs: string[] };
  /** Add-on name (from the catalog in src/addons) to its validated settings. */
  addons: Record<string, unknown>;
  deletionProtection: boolean;
}

/** Where a declaration came from, for error messages and reports. */
export interface SourceRef {
  /** Path as given by the user (relative to the working directory when possible). */
  file: string;
  line: number;
  column: number;
}

/** One declared workload cluster. */
export interface WorkloadCluster {
  name: string;
  stage: string;
  labels: Record<string, string>;
  spec: WorkloadClusterSpec;
  source: SourceRef;
}
