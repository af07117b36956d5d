/**
 * One line of the fleet: what `clusterops get clusters` prints and the dashboard's fleet table
 * shows, from a WorkloadCluster object as the reconciler writes its status. Pure, so it is
 * unit-tested and both the CLI and the dashboard read the same columns the same way.
 */

/** The part of a WorkloadCluster read here. */
export interface ListedCluster {
  metadata: { name: string; namespace: string; creationTimestamp?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { provider?: string; kubernetesVersion?: string; nodePools?: Array<{ replicas?: number }>; addons?: Record<string, unknown>; suspend?: boolean };
  status?: {
    phase?: string;
    revision?: string;
    /** A newer revision not applied to it (suspended, or its declaration does not validate). */
    waitingRevision?: string;
    history?: Array<{ revision: string; appliedAt?: string }>;
    addons?: { ready: number; total: number };
    cluster?: { version?: string; workers?: { desired?: number; ready?: number } };
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** The columns of one cluster, as text, with the full (one-line) message. */
export interface ClusterSummary {
  /** `namespace/name`: a cluster's identity in the fleet. */
  key: string;
  stage: string;
  name: string;
  provider: string;
  version: string;
  phase: string;
  /** Status of the Ready condition: True, False or Unknown. */
  ready: string;
  /** Ready worker nodes over desired ones, `-/N` while Cluster API has not counted. */
  nodes: string;
  /** Ready add-on objects over all, `-` when none are reported. */
  addons: string;
  /** The revision applied (full SHA), `''` when none. */
  revision: string;
  /** When the WorkloadCluster was created (age is computed by the reader). */
  created?: string;
  /** Why the cluster is not Ready (its Ready condition's message on one line), `''` when it is. */
  message: string;
  /** The teams the cluster belongs to: its `team` label, and the teams its team-namespaces add-on declares. */
  teams: string[];
}

/** Label that names a cluster's stage on its objects. */
const STAGE_LABEL = 'clusterops.io/stage';

/** kubectl's age format: 45s, 12m, 5h, 3d. */
export function age(since: string | undefined, now: number): string {
  if (!since) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Ready worker nodes over desired ones, as Cluster API counts them; the declared count while it has not. */
function nodes(c: ListedCluster): string {
  const workers = c.status?.cluster?.workers;
  if (workers) return `${workers.ready ?? 0}/${workers.desired ?? 0}`;
  const declared = (c.spec?.nodePools ?? []).reduce((n, p) => n + (p.replicas ?? 0), 0);
  return `-/${declared}`;
}

/** The message of the Ready condition when it is not True (why the cluster is not Ready), on one line. */
function message(c: ListedCluster): string {
  const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
  if (!ready || ready.status === 'True') return '';
  return (ready.message ?? ready.reason ?? '').replace(/\s*\n\s*/g, ' ').trim();
}

function teams(c: ListedCluster): string[] {
  const declared = (c.spec?.addons?.['team-namespaces'] as { teams?: Array<{ name?: unknown }> } | undefined)?.teams ?? [];
  const names = [c.metadata.labels?.team, ...declared.map((t) => t?.name)].filter((t): t is string => typeof t === 'string' && t !== '');
  return [...new Set(names)].sort();
}

/** The summary of one cluster. */
export function clusterSummary(c: ListedCluster): ClusterSummary {
  const addons = c.status?.addons;
  return {
    key: `${c.metadata.namespace}/${c.metadata.name}`,
    stage: c.metadata.labels?.[STAGE_LABEL] ?? c.metadata.namespace,
    name: c.metadata.name,
    provider: c.spec?.provider ?? '',
    version: c.status?.cluster?.version ?? c.spec?.kubernetesVersion ?? '',
    phase: c.status?.phase ?? 'Pending',
    ready: c.status?.conditions?.find((x) => x.type === 'Ready')?.status ?? 'Unknown',
    nodes: nodes(c),
    addons: addons ? `${addons.ready}/${addons.total}` : '-',
    revision: c.status?.revision ?? '',
    ...(c.metadata.creationTimestamp ? { created: c.metadata.creationTimestamp } : {}),
    message: message(c),
    teams: teams(c),
  };
}

/** Stage, then name: the order of every fleet listing. */
export function byStageAndName(a: { stage: string; name: string }, b: { stage: string; name: string }): number {
  return a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name);
}
