/**
 * The Nodes of LocalMachines in their workload clusters: registered with the machine's providerID,
 * reported Ready with a kubelet's conditions, and kept alive the way a kubelet does it — a Lease in
 * `kube-node-lease` renewed every LEASE_RENEW_MS and the status conditions refreshed every
 * STATUS_REFRESH_MS — so kube-controller-manager's node lifecycle controller keeps them Ready.
 * Each Node is labelled with its Machine's pool, so that a new machine of the pool can adopt a
 * Node whose Machine is gone (the management cluster was rebuilt): orphanNodeOf and claimNode.
 */
import { KubeError, type KubeApi } from '../kube/client.js';

/** How often each Lease is renewed (the kubelet: every 10 s of a 40 s lease). */
export const LEASE_RENEW_MS = 10_000;
/** How long a Lease is valid. */
export const LEASE_DURATION_SECONDS = 40;
/** How often the Ready condition's heartbeat is refreshed (the kubelet: on change, or every 5 min). */
export const STATUS_REFRESH_MS = 60_000;

/** The Node of one machine. */
export interface NodeSpec {
  name: string;
  providerID: string;
  /** The version the Machine asks for, reported as the kubelet's. */
  kubeletVersion: string;
  labels?: Record<string, string>;
}

const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Label naming a machine's pool: Cluster API's topology puts it on the Machines of a MachineDeployment (the pool's name). */
export const POOL_LABEL = 'topology.cluster.x-k8s.io/deployment-name';
/** Annotation of an adopted Node: `namespace/name` of the LocalMachine that claimed it. */
export const CLAIMED_BY_ANNOTATION = 'infrastructure.clusterops.io/claimed-by';

/** What is read of a workload cluster's Node. */
export interface WorkloadNode {
  metadata: {
    name: string;
    uid: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { providerID?: string };
}

/** Who looks for a Node to adopt, and what the management cluster holds. */
export interface Adopter {
  /** `namespace/name` of the LocalMachine. */
  localMachine: string;
  /** `local://<namespace>/<cluster>/`: the providerIDs of the cluster's Nodes start with it. */
  providerIdPrefix: string;
  /** The Machine's POOL_LABEL; undefined when it has none. */
  pool: string | undefined;
  /** Whether the Machine of this name (in the LocalMachine's namespace) exists. */
  machineExists(name: string): boolean;
  /** Whether the LocalMachine `namespace/name` exists. */
  localMachineExists(key: string): boolean;
}

/**
 * The Node `adopter` may take over: one of its cluster (providerID under the prefix), of its pool
 * (no label on either side counts as the same pool), whose Machine (named in the providerID) is
 * gone, and that no other existing LocalMachine claimed. A Node it claimed itself comes first (it
 * was interrupted after claiming), then by name, so the choice is stable. Pure.
 */
export function orphanNodeOf<N extends WorkloadNode>(nodes: N[], adopter: Adopter): N | undefined {
  const orphans = nodes.filter((node) => {
    const providerID = node.spec?.providerID ?? '';
    if (node.metadata.deletionTimestamp || !providerID.startsWith(adopter.providerIdPrefix)) return false;
    const machine = providerID.slice(adopter.providerIdPrefix.length);
    if (machine === '' || machine.includes('/') || adopter.machineExists(machine)) return false;
    if (node.metadata.labels?.[POOL_LABEL] !== adopter.pool) return false;
    const claimedBy = node.metadata.annotations?.[CLAIMED_BY_ANNOTATION];
    return claimedBy === undefined || claimedBy === adopter.localMachine || !adopter.localMachineExists(claimedBy);
  });
  const own = (node: N) => (node.metadata.annotations?.[CLAIMED_BY_ANNOTATION] === adopter.localMachine ? 0 : 1);
  return orphans.sort((a, b) => own(a) - own(b) || a.metadata.name.localeCompare(b.metadata.name))[0];
}

/** Every Node of a workload cluster. */
export async function listNodes(api: KubeApi): Promise<WorkloadNode[]> {
  return (await api.request<{ items: WorkloadNode[] }>({ verb: 'list', method: 'GET', path: '/api/v1/nodes' })).body.items;
}

/**
 * Annotates `node` as claimed by `localMachine`, only if it is still the version read: of two
 * LocalMachines claiming the same Node one wins, the other gets false (409, or the Node is gone)
 * and looks again.
 */
export async function claimNode(api: KubeApi, node: WorkloadNode, localMachine: string): Promise<boolean> {
  try {
    await api.request({
      verb: 'patch',
      method: 'PATCH',
      path: `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}`,
      body: { metadata: { resourceVersion: node.metadata.resourceVersion, annotations: { [CLAIMED_BY_ANNOTATION]: localMachine } } },
      contentType: 'application/merge-patch+json',
    });
    return true;
  } catch (error) {
    if (error instanceof KubeError && (error.status === 409 || error.status === 404)) return false;
    throw error;
  }
}

/** The status conditions of a healthy kubelet at `now`. */
export function nodeConditions(now: string): Array<Record<string, string>> {
  const row = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    row('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    row('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    row('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    row('Ready', 'True', 'KubeletReady', 'local provider heartbeat (no kubelet runs: this Node schedules no real containers)'),
  ];
}

/** Creates (or takes over) the Node and its Lease, and reports it Ready. */
export async function registerNode(api: KubeApi, spec: NodeSpec): Promise<void> {
  const path = `/api/v1/nodes/${encodeURIComponent(spec.name)}`;
  const labels = {
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
    'node.kubernetes.io/instance-type': 'local',
    ...spec.labels,
  };
  let node: WorkloadNode;
  try {
    node = (await api.request<WorkloadNode>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
    node = (
      await api.request<WorkloadNode>({
        verb: 'create',
        method: 'POST',
        path: '/api/v1/nodes',
        body: { apiVersion: 'v1', kind: 'Node', metadata: { name: spec.name, labels }, spec: { providerID: spec.providerID } },
      })
    ).body;
  }
  if (node.spec?.providerID && node.spec.providerID !== spec.providerID) {
    throw new Error(`Node ${spec.name} exists with providerID ${node.spec.providerID}, not ${spec.providerID}`);
  }
  await ensureLabels(api, node, spec.labels);
  if (!node.spec?.providerID) {
    await api.request({ verb: 'patch', method: 'PATCH', path, body: { spec: { providerID: spec.providerID } }, contentType: 'application/merge-patch+json' });
  }
  await reportStatus(api, spec);
  await renewLease(api, spec.name, node.metadata.uid);
}

/** Sets the spec's labels a Node lacks or has otherwise (a Node registered before Nodes were labelled with their pool). */
async function ensureLabels(api: KubeApi, node: WorkloadNode, labels: Record<string, string> = {}): Promise<void> {
  const missing = Object.fromEntries(Object.entries(labels).filter(([name, value]) => node.metadata.labels?.[name] !== value));
  if (Object.keys(missing).length === 0) return;
  await api.request({
    verb: 'patch',
    method: 'PATCH',
    path: `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}`,
    body: { metadata: { labels: missing } },
    contentType: 'application/merge-patch+json',
  });
}

/** Writes the Node's status: conditions, addresses, capacity and node info. */
export async function reportStatus(api: KubeApi, spec: NodeSpec): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const resources = { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '20Gi' };
  await api.request({
    verb: 'patch',
    method: 'PATCH',
    path: `/api/v1/nodes/${encodeURIComponent(spec.name)}/status`,
    contentType: 'application/strategic-merge-patch+json',
    body: {
      status: {
        conditions: nodeConditions(now),
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: spec.name },
        ],
        capacity: resources,
        allocatable: resources,
        nodeInfo: {
          kubeletVersion: spec.kubeletVersion,
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
          containerRuntimeVersion: 'local://none',
          kernelVersion: '',
          osImage: 'clusterops local provider',
          machineID: '',
          systemUUID: '',
          bootID: '',
        },
      },
    },
  });
}

/** Renews (or creates) the Node's Lease; throws KubeError 404 when the Node itself is gone. */
export async function renewLease(api: KubeApi, nodeName: string, nodeUid?: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${encodeURIComponent(nodeName)}`;
  const renewTime = new Date().toISOString().replace(/Z$/, '000Z'); // MicroTime
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime };
  try {
    await api.request({ verb: 'patch', method: 'PATCH', path, body: { spec }, contentType: 'application/merge-patch+json' });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
    const uid = nodeUid ?? (await api.request<{ metadata: { uid: string } }>({ verb: 'get', method: 'GET', path: `/api/v1/nodes/${encodeURIComponent(nodeName)}` })).body.metadata.uid;
    await api.request({
      verb: 'create',
      method: 'POST',
      path: `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid }] },
        spec,
      },
    });
  }
}

/** Deletes the Node (its Lease follows it); a Node already gone is fine. */
export async function deleteNode(api: KubeApi, nodeName: string): Promise<void> {
  try {
    await api.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/nodes/${encodeURIComponent(nodeName)}` });
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error;
  }
}

/** One heartbeat target. */
interface Beat {
  api: KubeApi;
  spec: NodeSpec;
  lastStatus: number;
}

/** Keeps the registered Nodes alive; a Node that vanished is reported through `onLost`. */
export class NodeHeartbeats {
  private readonly beats = new Map<string, Beat>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onLost: (key: string) => void,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Starts (or replaces) the heartbeat of the machine `key`. */
  add(key: string, api: KubeApi, spec: NodeSpec): void {
    this.beats.set(key, { api, spec, lastStatus: Date.now() });
    this.timer ??= setInterval(() => void this.tick(), LEASE_RENEW_MS);
  }

  /** Stops the heartbeat of `key`. */
  remove(key: string): void {
    this.beats.delete(key);
  }

  /** Whether `key` is kept alive. */
  has(key: string): boolean {
    return this.beats.has(key);
  }

  /** The Node kept alive for `key`, if any. */
  get(key: string): NodeSpec | undefined {
    return this.beats.get(key)?.spec;
  }

  /** Stops every heartbeat. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.beats.clear();
  }

  private async tick(): Promise<void> {
    await Promise.all(
      [...this.beats].map(async ([key, beat]) => {
        try {
          await renewLease(beat.api, beat.spec.name);
          if (Date.now() - beat.lastStatus >= STATUS_REFRESH_MS) {
            await reportStatus(beat.api, beat.spec);
            beat.lastStatus = Date.now();
          }
        } catch (error) {
          if (error instanceof KubeError && error.status === 404) {
            this.beats.delete(key);
            this.onLost(key);
          } else this.onError(key, error);
        }
      }),
    );
  }
}
