/**
 * What a drill looks at before the disaster and after the rebuild, and the checks it makes of the
 * two: the workload clusters kept their processes and etcd data, the kubeconfigs taken before still
 * work, no Node was created or deleted, no cluster exists twice, the add-on objects kept their uids,
 * and the WorkloadClusters are Ready at the branch head. The snapshots are data; the checks are pure.
 */

/** The uid recorded for an add-on object that was not found. */
export const MISSING = 'missing';

/** One workload cluster as seen from outside the management cluster. */
export interface ClusterSnapshot {
  /** `stage/name` */
  key: string;
  /** Pid by component (etcd, kube-apiserver, kube-controller-manager, supervisor). */
  pids: Record<string, number>;
  /** Uid of the kube-system Namespace: another etcd data dir would have another. */
  kubeSystemUid?: string;
  /** Node name → uid. */
  nodes: Record<string, string>;
  /** `Kind/name` of each add-on object looked at → uid. */
  addons: Record<string, string>;
  /** Why the cluster could not be read with the kubeconfig of before, when it could not. */
  error?: string;
}

/** The fleet as a drill sees it at one moment. */
export interface FleetSnapshot {
  clusters: ClusterSnapshot[];
  /** Workload control planes (`stage/name`) whose state dirs the local provider has. */
  controlPlaneDirs: string[];
}

/** What the new management cluster holds after the rebuild. */
export interface ManagementView {
  /** Cluster API Clusters, `namespace/name`. */
  clusters: string[];
  /** Cluster API Machines. */
  machines: number;
  /** WorkloadClusters not Ready at the branch head, with why. */
  notReady: string[];
}

/** One check of a drill. */
export interface DrillCheck {
  name: string;
  passed: boolean;
  detail: string;
}

const sameRecord = (a: Record<string, string | number>, b: Record<string, string | number>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** The checks of a drill; pure. */
export function drillChecks(
  declared: readonly string[],
  before: FleetSnapshot,
  after: FleetSnapshot,
  management: ManagementView,
  /** The second rebuild, run on the rebuilt fleet: what its `pulumi up` counted (e.g. `31 same`). */
  second?: { stackChanges: string },
): DrillCheck[] {
  const afterOf = new Map(after.clusters.map((c) => [c.key, c]));
  const per = (what: (b: ClusterSnapshot, a: ClusterSnapshot) => string | undefined): string[] =>
    before.clusters.flatMap((b) => {
      const a = afterOf.get(b.key);
      if (!a) return [`${b.key}: not seen after`];
      const why = what(b, a);
      return why ? [`${b.key}: ${why}`] : [];
    });
  const row = (name: string, problems: string[], ok: string): DrillCheck => ({ name, passed: problems.length === 0 && before.clusters.length > 0, detail: problems.length ? problems.join('; ') : before.clusters.length ? ok : 'no cluster seen' });
  const nodesBefore = before.clusters.reduce((n, c) => n + Object.keys(c.nodes).length, 0);
  const addonsBefore = before.clusters.reduce((n, c) => n + Object.keys(c.addons).length, 0);
  const declaredSet = new Set(declared);
  const duplicates = [
    ...management.clusters.filter((k) => !declaredSet.has(k)).map((k) => `Cluster ${k} is not declared`),
    ...declared.filter((k) => !management.clusters.includes(k)).map((k) => `Cluster ${k} is missing`),
    ...after.controlPlaneDirs.filter((k) => !before.controlPlaneDirs.includes(k)).map((k) => `a new control plane ${k} was started`),
    ...(management.machines === nodesBefore ? [] : [`${management.machines} Machines for ${nodesBefore} Nodes`]),
  ];
  return [
    row('workload processes kept', per((b, a) => (Object.keys(b.pids).length === 0 ? 'no process ran before' : sameRecord(b.pids, a.pids) ? undefined : `pids ${JSON.stringify(b.pids)} -> ${JSON.stringify(a.pids)}`)), `${before.clusters.length} clusters, same pids`),
    row('etcd data kept', per((b, a) => (b.kubeSystemUid && b.kubeSystemUid === a.kubeSystemUid ? undefined : `kube-system uid ${b.kubeSystemUid} -> ${a.kubeSystemUid}`)), 'same kube-system uid in every cluster'),
    row('kubeconfig from before works', per((_b, a) => a.error), `${before.clusters.length} kubeconfigs taken before the disaster`),
    row('no Node created or deleted', per((b, a) => (sameRecord(b.nodes, a.nodes) ? undefined : `Nodes ${Object.keys(b.nodes).join(',')} -> ${Object.keys(a.nodes).join(',')}`)), `${nodesBefore} Nodes, same uids`),
    row('no cluster duplicated', duplicates, `${declared.length} Clusters, ${management.machines} Machines, no new control plane`),
    row(
      'add-on objects kept their uids',
      per((b, a) => {
        const missing = Object.entries({ ...b.addons, ...a.addons }).filter(([, uid]) => uid === MISSING).map(([ref]) => ref);
        if (missing.length) return `missing: ${missing.join(', ')}`;
        return sameRecord(b.addons, a.addons) ? undefined : 'uids changed';
      }),
      `${addonsBefore} objects`,
    ),
    row('WorkloadClusters Ready at the branch head', management.notReady, `${declared.length} Ready`),
    ...(second
      ? [row('a second rebuild changed nothing', /\b(create|update|delete|replace)/.test(second.stackChanges) || !second.stackChanges ? [`its pulumi up: ${second.stackChanges || 'not run'}`] : [], `pulumi up ${second.stackChanges}; the checks above are after it`)]
      : []),
  ];
}
