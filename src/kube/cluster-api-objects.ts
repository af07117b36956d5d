/**
 * Reads the Cluster API objects under one cluster from the management cluster: its Cluster (by
 * name), the infrastructure cluster and control plane its contract references name (found through
 * discovery, since their kinds are the providers'), its MachineDeployments and Machines (listed by
 * the `cluster.x-k8s.io/cluster-name` label in its namespace). Shared by `clusterops describe
 * cluster` and the dashboard's cluster page; src/model/cluster-tree.ts draws the tree from it.
 */
import { CLUSTER_NAME_LABEL, groupMachines, type ClusterApiObjects, type Described } from '../model/cluster-tree.js';
import { KubeError, type KubeApi } from './client.js';

/** A v1beta2 contract reference: API group, kind, name. */
interface ContractRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

const CAPI = '/apis/cluster.x-k8s.io/v1beta2';

/** An object, or undefined when it is not there or this identity may not read it (the tree shows what it can). */
async function getOptional(client: KubeApi, path: string): Promise<Described | undefined> {
  try {
    return (await client.request<Described>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if (error instanceof KubeError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
}

/** The object a contract reference names, found through discovery of its group (preferred version, plural). */
async function referenced(client: KubeApi, namespace: string, ref: ContractRef | undefined): Promise<Described | undefined> {
  if (!ref?.apiGroup || !ref.kind || !ref.name) return undefined;
  const group = await getOptional(client, `/apis/${ref.apiGroup}`);
  const version = (group as unknown as { preferredVersion?: { version: string } } | undefined)?.preferredVersion?.version;
  if (!version) return undefined;
  const resources = (await client.request<{ resources: Array<{ name: string; kind: string }> }>({ verb: 'get', method: 'GET', path: `/apis/${ref.apiGroup}/${version}` })).body.resources;
  const plural = resources.find((r) => r.kind === ref.kind && !r.name.includes('/'))?.name;
  return plural ? getOptional(client, `/apis/${ref.apiGroup}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(ref.name)}`) : undefined;
}

/** The Cluster API objects of the cluster `name` in `namespace`; empty when it has no Cluster. */
export async function readClusterApiObjects(client: KubeApi, namespace: string, name: string): Promise<ClusterApiObjects> {
  const ns = encodeURIComponent(namespace);
  const cluster = await getOptional(client, `${CAPI}/namespaces/${ns}/clusters/${encodeURIComponent(name)}`);
  if (!cluster) return { cluster: undefined, infrastructure: undefined, controlPlane: undefined, controlPlaneMachines: [], machineDeployments: [] };
  const ownedBy = { labelSelector: `${CLUSTER_NAME_LABEL}=${name}` };
  const list = async (plural: string) => (await client.request<{ items: Described[] }>({ verb: 'list', method: 'GET', path: `${CAPI}/namespaces/${ns}/${plural}`, query: ownedBy })).body.items;
  const [infrastructure, controlPlane, deployments, machines] = await Promise.all([
    referenced(client, namespace, cluster.spec?.infrastructureRef),
    referenced(client, namespace, cluster.spec?.controlPlaneRef),
    list('machinedeployments'),
    list('machines'),
  ]);
  return { cluster, infrastructure, controlPlane, ...groupMachines(deployments, machines) };
}
