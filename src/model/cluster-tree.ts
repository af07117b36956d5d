/**
 * The Cluster API objects under one WorkloadCluster as a tree, in the manner of `clusterctl describe
 * cluster`: the Cluster, under it its infrastructure cluster, its control plane and its
 * MachineDeployments, under each of those its Machines; each node with the one condition that says
 * whether that object works (Ready or Available) and a few facts (replicas, version, node). One
 * shape for `clusterops describe cluster` (which draws it as text) and the dashboard's cluster page
 * (which gets it as JSON), so the two never tell different stories. Pure: unit-tested on plain objects.
 */
import type { KubeEvent } from './kube-event.js';

/** A condition as a status holds it. */
export interface TreeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Any object as read from the API. */
export type Described = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: any;
  status?: any;
};

/** The Cluster API objects of one cluster, as read (src/kube/cluster-api-objects.ts). */
export interface ClusterApiObjects {
  cluster?: Described;
  infrastructure?: Described;
  controlPlane?: Described;
  /** The control plane's Machines (labelled CONTROL_PLANE_LABEL), sorted by name; none for a control plane without Machines (the local provider's). */
  controlPlaneMachines: Described[];
  /** Sorted by name, each with its Machines (sorted by name). */
  machineDeployments: Array<Described & { machines: Described[] }>;
}

/** Everything `describe cluster` draws: the WorkloadCluster, its Cluster API objects, its events (oldest first). */
export interface ClusterDescription extends ClusterApiObjects {
  workloadCluster: Described;
  events: KubeEvent[];
}

/** One object of the tree. */
export interface ClusterTreeNode {
  kind: string;
  name: string;
  /** Which condition matters for this kind: `Ready` (infrastructure cluster, Machine) or `Available`. */
  conditionType: string;
  /** That condition, absent while the object does not report it. */
  condition?: TreeCondition;
  /** Short facts, in order: replicas ("1/2 ready"), version, phase, node. */
  facts: string[];
  children: ClusterTreeNode[];
}

/** The label Cluster API puts on every object of a cluster; the objects of the tree are listed by it. */
export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';
/** The label Cluster API puts on a MachineDeployment's Machines. */
export const DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name';
/** The label Cluster API puts on a control plane's Machines. */
export const CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane';

/** The condition of `type` of an object, if it reports one. */
export const conditionOf = (o: Described | undefined, type: string): TreeCondition | undefined => o?.status?.conditions?.find((c: TreeCondition) => c.type === type);

function replicas(desired: number | undefined, ready: number | undefined): string {
  return `${ready ?? 0}/${desired ?? 0} ready`;
}

function node(o: Described, kind: string, conditionType: string, facts: string[], children: ClusterTreeNode[] = []): ClusterTreeNode {
  const condition = conditionOf(o, conditionType);
  return { kind, name: o.metadata.name, conditionType, ...(condition ? { condition } : {}), facts, children };
}

const byName = (a: Described, b: Described) => a.metadata.name.localeCompare(b.metadata.name);

/**
 * Machines grouped under what owns them, by Cluster API's labels: the control plane's, and each
 * MachineDeployment's; all sorted by name. A Machine of neither (a MachinePool's, or one made by
 * hand) is left out.
 */
export function groupMachines(deployments: Described[], machines: Described[]): Pick<ClusterApiObjects, 'controlPlaneMachines' | 'machineDeployments'> {
  return {
    controlPlaneMachines: machines.filter((m) => m.metadata.labels?.[CONTROL_PLANE_LABEL] !== undefined).sort(byName),
    machineDeployments: [...deployments].sort(byName).map((md) => ({
      ...md,
      machines: machines.filter((m) => m.metadata.labels?.[DEPLOYMENT_NAME_LABEL] === md.metadata.name).sort(byName),
    })),
  };
}

const machineNode = (m: Described) => node(m, 'Machine', 'Ready', [m.status?.nodeRef?.name ? `node ${m.status.nodeRef.name}` : 'no node yet']);

/** The tree, or undefined when there is no Cluster (not applied yet, or deleted). */
export function clusterTree(o: ClusterApiObjects): ClusterTreeNode | undefined {
  if (!o.cluster) return undefined;
  const children: ClusterTreeNode[] = [];
  if (o.infrastructure) children.push(node(o.infrastructure, o.infrastructure.kind ?? 'InfrastructureCluster', 'Ready', []));
  const cp = o.controlPlane;
  if (cp) {
    const facts = [replicas(cp.spec?.replicas, cp.status?.readyReplicas), cp.status?.version ?? cp.spec?.version ?? ''].filter(Boolean);
    children.push(node(cp, cp.kind ?? 'ControlPlane', 'Available', facts, (o.controlPlaneMachines ?? []).map(machineNode)));
  }
  for (const md of o.machineDeployments) {
    children.push(node(md, 'MachineDeployment', 'Available', [replicas(md.spec?.replicas, md.status?.readyReplicas)], md.machines.map(machineNode)));
  }
  return node(o.cluster, 'Cluster', 'Available', [`phase ${o.cluster.status?.phase ?? '?'}`], children);
}
