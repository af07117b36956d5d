/**
 * The tree `clusterops describe cluster NAME` prints, in the manner of `clusterctl describe
 * cluster`: the WorkloadCluster with its conditions, the Cluster API objects under it with the
 * condition that matters for each, add-on health, recent events. Pure: unit-tested on plain objects.
 */
import { age } from './_cluster-table.js';
import type { KubeEvent } from '../../model/kube-event.js';

type Condition = { type: string; status: string; reason?: string; message?: string };
/** Any object as read from the API. */
export type Described = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> }; spec?: any; status?: any };

/** Everything the tree is drawn from. */
export interface ClusterDescription {
  workloadCluster: Described;
  cluster?: Described;
  infrastructure?: Described;
  controlPlane?: Described;
  machineDeployments: Array<Described & { machines: Described[] }>;
  events: KubeEvent[];
}

const firstLine = (text: string | undefined, width = 100) => {
  const line = (text ?? '').replace(/\s*\n\s*/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

const conditionOf = (o: Described | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((c: Condition) => c.type === type);

function conditionCell(o: Described | undefined, type: string): string {
  const c = conditionOf(o, type);
  return c ? `${type}=${c.status}${c.status !== 'True' && c.reason ? ` ${c.reason}` : ''}` : `${type}: not reported`;
}

interface Row {
  label: string;
  detail: string;
  children?: Row[];
}

function render(rows: Row[], prefix: string, out: string[], width: number): void {
  rows.forEach((row, i) => {
    const last = i === rows.length - 1;
    const head = `${prefix}${last ? '└─ ' : '├─ '}${row.label}`;
    out.push(row.detail ? `${head.padEnd(width)}  ${row.detail}`.trimEnd() : head);
    if (row.children) render(row.children, `${prefix}${last ? '   ' : '│  '}`, out, width);
  });
}

function replicas(r: { desired?: number; desiredReplicas?: number; readyReplicas?: number; ready?: number } | undefined): string {
  return `${r?.readyReplicas ?? r?.ready ?? 0}/${r?.desiredReplicas ?? r?.desired ?? 0} ready`;
}

/** The tree as text lines. */
export function describeTree(d: ClusterDescription, now: number): string {
  const wc = d.workloadCluster;
  const stage = wc.metadata.namespace ?? '';
  const title = `WorkloadCluster ${stage}/${wc.metadata.name}  provider ${wc.spec?.provider ?? '?'}, ${wc.status?.cluster?.version ?? wc.spec?.kubernetesVersion ?? '?'}, phase ${wc.status?.phase ?? 'Pending'}, revision ${wc.status?.revision?.slice(0, 12) ?? 'none'}, age ${age(wc.metadata.creationTimestamp, now)}`;
  const conditions: Row[] = (wc.status?.conditions ?? []).map((c: Condition) => ({
    label: `${c.type}=${c.status}`,
    detail: [c.reason, firstLine(c.message)].filter(Boolean).join(': '),
  }));
  const capi: Row[] = [];
  if (!d.cluster) capi.push({ label: 'Cluster', detail: 'does not exist (not applied yet, or deleted)' });
  else {
    const children: Row[] = [];
    if (d.infrastructure) children.push({ label: `${d.infrastructure.kind}/${d.infrastructure.metadata.name}`, detail: conditionCell(d.infrastructure, 'Ready') });
    if (d.controlPlane) {
      children.push({
        label: `${d.controlPlane.kind}/${d.controlPlane.metadata.name}`,
        detail: `${conditionCell(d.controlPlane, 'Available')}, ${replicas({ desiredReplicas: d.controlPlane.spec?.replicas, readyReplicas: d.controlPlane.status?.readyReplicas })}, ${d.controlPlane.status?.version ?? d.controlPlane.spec?.version ?? ''}`.replace(/, $/, ''),
      });
    }
    for (const md of d.machineDeployments) {
      children.push({
        label: `MachineDeployment/${md.metadata.name}`,
        detail: `${conditionCell(md, 'Available')}, ${replicas({ desiredReplicas: md.spec?.replicas, readyReplicas: md.status?.readyReplicas })}`,
        children: md.machines.map((m) => ({
          label: `Machine/${m.metadata.name}`,
          detail: `${conditionCell(m, 'Ready')}${m.status?.nodeRef?.name ? `, node ${m.status.nodeRef.name}` : ', no node yet'}`,
        })),
      });
    }
    const available = conditionOf(d.cluster, 'Available');
    capi.push({
      label: `Cluster/${d.cluster.metadata.name}`,
      detail: `${conditionCell(d.cluster, 'Available')}, phase ${d.cluster.status?.phase ?? '?'}${available && available.status !== 'True' && available.message ? `: ${firstLine(available.message)}` : ''}`,
      children,
    });
  }
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
  const out = [title];
  const width = Math.min(70, Math.max(...flatten(rows, '').map((l) => l.length)));
  render(rows, '', out, width);
  return `${out.join('\n')}\n`;
}

function flatten(rows: Row[], prefix: string): string[] {
  return rows.flatMap((r) => [`${prefix}├─ ${r.label}`, ...(r.children ? flatten(r.children, `${prefix}│  `) : [])]);
}
