/**
 * The rows `clusterops get clusters` prints, from WorkloadCluster objects as the reconciler writes
 * their status (its own conditions plus what Cluster API reports): pure, so it is unit-tested.
 */

/** The part of a WorkloadCluster read here. */
export interface ListedCluster {
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec?: { provider?: string; kubernetesVersion?: string; nodePools?: Array<{ replicas?: number }> };
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

/** Column headers, in order; `wide` adds the message in full. */
export const HEADERS = ['STAGE', 'NAME', 'PROVIDER', 'VERSION', 'PHASE', 'READY', 'NODES', 'ADDONS', 'REVISION', 'AGE', 'MESSAGE'] as const;

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

/** The message of the first condition that is not True (why the cluster is not Ready), on one line. */
function message(c: ListedCluster, width: number): string {
  const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
  if (!ready || ready.status === 'True') return '';
  const line = (ready.message ?? ready.reason ?? '').replace(/\s*\n\s*/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** One row per cluster, sorted by stage then name. */
export function clusterRows(items: ListedCluster[], now: number, wide = false): string[][] {
  return [...items]
    .sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name))
    .map((c) => {
      const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
      const addons = c.status?.addons;
      return [
        c.metadata.namespace,
        c.metadata.name,
        c.spec?.provider ?? '',
        c.status?.cluster?.version ?? c.spec?.kubernetesVersion ?? '',
        c.status?.phase ?? 'Pending',
        ready?.status ?? 'Unknown',
        nodes(c),
        addons ? `${addons.ready}/${addons.total}` : '-',
        c.status?.revision?.slice(0, 7) ?? '-',
        age(c.metadata.creationTimestamp, now),
        message(c, wide ? 10_000 : 60),
      ];
    });
}

/** Rows as kubectl prints them: columns padded to their widest cell, three spaces apart, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [headers as string[], ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('   ').trimEnd()).join('\n') + '\n';
}
