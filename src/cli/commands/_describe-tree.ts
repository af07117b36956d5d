/**
 * The tree `clusterops describe cluster NAME` prints, in the manner of `clusterctl describe
 * cluster`: the WorkloadCluster with its conditions, the Cluster API objects under it with the
 * condition that matters for each (src/model/cluster-tree.ts, which the dashboard shows too),
 * add-on health, recent events. Pure: unit-tested on plain objects.
 */
import { age } from './_cluster-table.js';
import { clusterTree, type ClusterDescription, type ClusterTreeNode, type TreeCondition } from '../../model/cluster-tree.js';
import type { WaitingChange } from '../../model/waiting-change.js';

const firstLine = (text: string | undefined, width = 100) => {
  const line = (text ?? '').replace(/\s*\n\s*/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

interface Row {
  label: string;
  detail: string;
  children?: Row[];
}

/** `Available=True`, `Ready=False NotReady` (the reason only when not True), or `Ready: not reported`. */
function conditionCell(n: ClusterTreeNode): string {
  const c = n.condition;
  return c ? `${n.conditionType}=${c.status}${c.status !== 'True' && c.reason ? ` ${c.reason}` : ''}` : `${n.conditionType}: not reported`;
}

/** A node of the Cluster API tree as a row: the condition, then its facts; the Cluster's own row also says why it is not available. */
function treeRow(n: ClusterTreeNode, top: boolean): Row {
  const why = top && n.condition && n.condition.status !== 'True' && n.condition.message ? `: ${firstLine(n.condition.message)}` : '';
  return {
    label: `${n.kind}/${n.name}`,
    detail: `${[conditionCell(n), ...n.facts].join(', ')}${why}`,
    children: n.children.map((c) => treeRow(c, false)),
  };
}

function render(rows: Row[], prefix: string, out: string[], width: number): void {
  rows.forEach((row, i) => {
    const last = i === rows.length - 1;
    const head = `${prefix}${last ? '└─ ' : '├─ '}${row.label}`;
    out.push(row.detail ? `${head.padEnd(width)}  ${row.detail}`.trimEnd() : head);
    if (row.children) render(row.children, `${prefix}${last ? '   ' : '│  '}`, out, width);
  });
}

/** The tree as text lines. */
export function describeTree(d: ClusterDescription, now: number): string {
  const wc = d.workloadCluster;
  const stage = wc.metadata.namespace ?? '';
  const title = `WorkloadCluster ${stage}/${wc.metadata.name}  provider ${wc.spec?.provider ?? '?'}, ${wc.status?.cluster?.version ?? wc.spec?.kubernetesVersion ?? '?'}, phase ${wc.status?.phase ?? 'Pending'}, revision ${wc.status?.revision?.slice(0, 12) ?? 'none'}, age ${age(wc.metadata.creationTimestamp, now)}`;
  const conditions: Row[] = (wc.status?.conditions ?? []).map((c: TreeCondition) => ({
    label: `${c.type}=${c.status}`,
    detail: [c.reason, firstLine(c.message)].filter(Boolean).join(': '),
  }));
  const tree = clusterTree(d);
  const capi: Row[] = tree ? [treeRow(tree, true)] : [{ label: 'Cluster', detail: 'does not exist (not applied yet, or deleted)' }];
  const addons = wc.status?.addons;
  const events: Row[] = d.events.slice(-10).map((e) => ({
    label: `${age(e.lastTimestamp ?? e.eventTime, now)} ago ${e.type ?? ''} ${e.reason ?? ''}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`,
    detail: firstLine(e.message),
  }));
  const rows: Row[] = [
    { label: 'Conditions', detail: '', children: conditions.length ? conditions : [{ label: 'none reported yet', detail: '' }] },
    { label: 'Cluster API', detail: '', children: capi },
    { label: 'Add-ons', detail: addons ? `${addons.ready}/${addons.total} objects ready${addons.message ? `: ${firstLine(addons.message)}` : ''}` : 'none applied (no add-ons, or no kubeconfig yet)' },
    { label: 'Events', detail: events.length ? '' : 'none', children: events.length ? events : undefined },
  ];
  if (wc.status?.lastError) rows.splice(1, 0, { label: 'Last error', detail: firstLine(wc.status.lastError, 200) });
  const waiting = waitingRow(wc.status);
  if (waiting) rows.splice(rows.length - 1, 0, waiting);
  const out = [title];
  const width = Math.min(70, Math.max(...flatten(rows, '').map((l) => l.length)));
  render(rows, '', out, width);
  return `${out.join('\n')}\n`;
}

const SIGN = { created: '+', changed: '~', deleted: '-' } as const;

/** What the revision that waits would change (a suspended cluster), one row per object, its fields under it. */
function waitingRow(status: { waitingRevision?: string; waitingChanges?: WaitingChange[]; waitingChangesMore?: number } | undefined): Row | undefined {
  const changes = status?.waitingChanges ?? [];
  if (!status?.waitingRevision || changes.length === 0) return undefined;
  const children: Row[] = changes.map((c) => ({
    label: `${SIGN[c.action]} ${c.kind}/${c.namespace ? `${c.namespace}/` : ''}${c.name}`,
    detail: `${c.action}${c.where === 'addons' ? ' (workload cluster)' : ''}`,
    children: c.fields?.length
      ? [
          ...c.fields.map((f) => ({ label: f.path, detail: `${f.from ?? '(unset)'} → ${f.to ?? '(unset)'}` })),
          ...(c.moreFields ? [{ label: `and ${c.moreFields} more field${c.moreFields > 1 ? 's' : ''}`, detail: '' }] : []),
        ]
      : undefined,
  }));
  const more = status.waitingChangesMore ? [{ label: `and ${status.waitingChangesMore} more object${status.waitingChangesMore > 1 ? 's' : ''}`, detail: '' }] : [];
  return { label: `Waiting revision ${status.waitingRevision.slice(0, 12)}`, detail: 'would change, on resume', children: [...children, ...more] };
}

function flatten(rows: Row[], prefix: string): string[] {
  return rows.flatMap((r) => [`${prefix}├─ ${r.label}`, ...(r.children ? flatten(r.children, `${prefix}│  `) : [])]);
}
