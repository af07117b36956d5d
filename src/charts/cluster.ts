/**
 * The Cluster API `Cluster` (cluster.x-k8s.io/v1beta2) of one workload cluster: a managed topology
 * of its provider's ClusterClass, one MachineDeployment per node pool.
 */
import type { Construct } from 'constructs';
import {
  Cluster,
  type ClusterSpecTopologyVariables,
  type ClusterSpecTopologyWorkersMachineDeployments,
} from '../imports/capi.js';
import type { NodePool, WorkloadCluster } from '../model/workload-cluster.js';
import { CLUSTER_LABEL, DELETION_PROTECTION_ANNOTATION, STAGE_LABEL } from '../model/manifest-set.js';
import { VARIABLES, WORKER_CLASS, type ClusterClassDefinition } from './cluster-class.js';
import { CLUSTER_CLASSES } from './cluster-classes.js';

/** MachineDeployment annotation that cluster-autoscaler's Cluster API provider reads a node group's minimum from. */
export const AUTOSCALER_MIN_SIZE_ANNOTATION = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size';
/** MachineDeployment annotation that cluster-autoscaler's Cluster API provider reads a node group's maximum from. */
export const AUTOSCALER_MAX_SIZE_ANNOTATION = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size';

/**
 * Label domains reserved by Kubernetes: the kubelet refuses to start with a --node-labels key in
 * one of them (or a subdomain) unless the key is in one of KUBELET_LABEL_DOMAINS.
 */
const RESERVED_LABEL_DOMAINS = ['kubernetes.io', 'k8s.io'];
/** Reserved label domains (and their subdomains) a kubelet may still set on its own Node. */
const KUBELET_LABEL_DOMAINS = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Whether `domain` is `parent` or one of its subdomains. */
function inDomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

/**
 * Whether the kubelet may register its Node with label `key`. Other keys still reach the pool's
 * Machines, and Cluster API copies the node-role.kubernetes.io, node-restriction.kubernetes.io and
 * node.cluster.x-k8s.io ones from Machines to Nodes.
 */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const domain = key.slice(0, slash);
  if (KUBELET_LABEL_DOMAINS.some((allowed) => inDomain(domain, allowed))) return true;
  return !RESERVED_LABEL_DOMAINS.some((reserved) => inDomain(domain, reserved));
}

/** A pool's kubelet --node-labels value: `key=value` pairs sorted by key, joined by commas. */
export function nodeLabelsArg(labels: Record<string, string>): string {
  return Object.keys(labels)
    .filter(kubeletMaySetLabel)
    .sort(compareStrings)
    .map((key) => `${key}=${labels[key]}`)
    .join(',');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Cluster-level topology variables: region and the default machine types, where the class has them. */
function clusterVariables(cluster: WorkloadCluster, cls: ClusterClassDefinition): ClusterSpecTopologyVariables[] {
  const variables: ClusterSpecTopologyVariables[] = [];
  if (cls.region) {
    if (!cluster.spec.region) throw new Error(`${cluster.source.file}: cluster ${cluster.name}: provider ${cls.provider} needs a region`);
    variables.push({ name: VARIABLES.region, value: cluster.spec.region });
  }
  if (cls.defaultMachineTypes) {
    const controlPlane = cluster.spec.controlPlane.machineType ?? cls.defaultMachineTypes.controlPlane;
    variables.push({ name: VARIABLES.controlPlaneMachineType, value: controlPlane });
    variables.push({ name: VARIABLES.workerMachineType, value: cls.defaultMachineTypes.worker });
  }
  return variables;
}

/** The MachineDeployment topology of one node pool. */
function machineDeployment(pool: NodePool, cls: ClusterClassDefinition): ClusterSpecTopologyWorkersMachineDeployments {
  const overrides: Array<{ name: string; value: unknown }> = [];
  if (cls.defaultMachineTypes && pool.machineType) overrides.push({ name: VARIABLES.workerMachineType, value: pool.machineType });
  const nodeLabels = nodeLabelsArg(pool.labels);
  if (nodeLabels) overrides.push({ name: VARIABLES.nodeLabels, value: nodeLabels });
  if (pool.taints.length > 0) {
    const taints = pool.taints.map((t) => (t.value ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect }));
    overrides.push({ name: VARIABLES.nodeTaints, value: taints });
  }
  const annotations = pool.autoscaling && {
    [AUTOSCALER_MIN_SIZE_ANNOTATION]: String(pool.autoscaling.min),
    [AUTOSCALER_MAX_SIZE_ANNOTATION]: String(pool.autoscaling.max),
  };
  const labels = Object.keys(pool.labels).length > 0 ? { ...pool.labels } : undefined;
  return {
    name: pool.name,
    class: WORKER_CLASS,
    // An autoscaled pool has no replicas: cluster-autoscaler owns the count within the annotated bounds.
    replicas: pool.autoscaling ? undefined : pool.replicas,
    metadata: labels || annotations ? { labels, annotations } : undefined,
    variables: overrides.length > 0 ? { overrides } : undefined,
  };
}

/** A CIDR block list, absent when empty (the schema wants at least one block). */
function cidrBlocks(blocks: readonly string[]): { cidrBlocks: string[] } | undefined {
  return blocks.length > 0 ? { cidrBlocks: [...blocks] } : undefined;
}

/** The labels of a synthesized Cluster: the declaration's, then the stage and cluster labels. */
export function clusterLabels(cluster: WorkloadCluster): Record<string, string> {
  return { ...cluster.labels, [STAGE_LABEL]: cluster.stage, [CLUSTER_LABEL]: cluster.name };
}

/** Adds the Cluster of `cluster` to `scope`, in the stage's namespace. */
export function addCluster(scope: Construct, cluster: WorkloadCluster): Cluster {
  const cls = CLUSTER_CLASSES[cluster.spec.provider];
  const variables = clusterVariables(cluster, cls);
  const pools = cluster.spec.nodePools.map((pool) => machineDeployment(pool, cls));
  return new Cluster(scope, `cluster-${cluster.name}`, {
    metadata: {
      name: cluster.name,
      namespace: cluster.stage,
      labels: clusterLabels(cluster),
      annotations: cluster.spec.deletionProtection ? { [DELETION_PROTECTION_ANNOTATION]: 'true' } : undefined,
    },
    spec: {
      clusterNetwork: {
        pods: cidrBlocks(cluster.spec.network.podCIDRs),
        services: cidrBlocks(cluster.spec.network.serviceCIDRs),
      },
      topology: {
        classRef: { name: cls.name },
        version: cluster.spec.kubernetesVersion,
        controlPlane: { replicas: cluster.spec.controlPlane.replicas },
        variables: variables.length > 0 ? variables : undefined,
        // The schema allows no empty lists: a cluster without node pools has no workers at all.
        workers: pools.length > 0 ? { machineDeployments: pools } : undefined,
      },
    },
  });
}
