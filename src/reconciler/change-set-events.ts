/**
 * Events for what a ChangeSet did: grouped by the WorkloadCluster each object belongs to (or on the
 * object itself when it belongs to none), one event per outcome, in the outcome vocabulary.
 */
import { refKey, refOf } from '../apply/object-ref.js';
import type { ChangeSet } from '../apply/change-set.js';
import { CLUSTER_LABEL, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import type { DeclaredCluster } from './declared-clusters.js';
import type { EventKind, EventRecorder, EventSubject } from './events.js';

/** What reporting a ChangeSet needs to know. */
export interface ChangeSetReport {
  set: ManifestSet;
  /** The set applied before, where pruned objects are found. */
  previous?: ManifestSet;
  cs: ChangeSet;
  /** Objects put back after a change outside git (this was a drift pass). */
  drift: boolean;
  /** The set applies again after failing. */
  recovered: boolean;
  revision: string;
  clusters: readonly DeclaredCluster[];
  /** The uid of a cluster's WorkloadCluster, when known. */
  uidOf: (c: DeclaredCluster) => string | undefined;
}

/** A line list per event kind. */
type Lines = Partial<Record<EventKind, string[]>>;

/** Records the events of one applied set; recording is best effort (EventRecorder never throws). */
export async function reportChangeSet(events: EventRecorder, r: ChangeSetReport): Promise<void> {
  const objects = new Map<string, KubeObject>();
  for (const o of [...(r.previous?.objects ?? []), ...r.set.objects]) objects.set(refKey(refOf(o)), o);
  const { stage } = r.set.target;
  const workload = r.set.target.kind === 'workload' ? r.set.target.cluster : undefined;
  const ownerOf = (key: string) => {
    const cluster = workload ?? objects.get(key)?.metadata.labels?.[CLUSTER_LABEL];
    return cluster ? r.clusters.find((c) => c.stage === stage && c.name === cluster) : undefined;
  };
  const subjectOf = (c: DeclaredCluster): EventSubject => ({ namespace: c.namespace, name: c.name, uid: r.uidOf(c) });
  const groups = new Map<string, { subject: EventSubject; lines: Lines }>();
  const add = (key: string, kind: EventKind, line: string) => {
    const owner = ownerOf(key);
    const object = objects.get(key);
    const subject = owner
      ? subjectOf(owner)
      : object && { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name };
    if (!subject) return;
    const gkey = owner ? `${owner.stage}/${owner.name}` : key;
    const group = groups.get(gkey) ?? { subject, lines: {} };
    groups.set(gkey, group);
    (group.lines[kind] ??= []).push(line);
  };
  for (const e of r.cs.entries) {
    if (e.action === 'unchanged') continue;
    const name = `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
    add(refKey(e), e.action, e.reason ? `${name}: ${e.reason}` : name);
  }
  for (const e of r.cs.errors) if (e.object) add(refKey(e.object), 'failed', e.message);
  const applied = (kind: EventKind) => kind === 'created' || kind === 'configured';
  const head = (kind: EventKind) => (!applied(kind) ? '' : r.drift ? 'put back after a change outside git: ' : `revision ${r.revision.slice(0, 12)}: `);
  const writes: Array<Promise<void>> = [];
  for (const { subject, lines } of groups.values()) {
    for (const [kind, list] of Object.entries(lines) as Array<[EventKind, string[]]>) writes.push(events.record(subject, kind, `${head(kind)}${summarize(list)}`));
  }
  const mine = workload ? r.clusters.filter((c) => c.stage === stage && c.name === workload) : r.clusters.filter((c) => c.stage === stage);
  const setErrors = r.cs.errors.filter((e) => !e.object).map((e) => e.message);
  for (const c of mine) {
    if (setErrors.length > 0) writes.push(events.record(subjectOf(c), 'failed', `${r.set.id}: ${summarize(setErrors)}`));
    if (r.recovered) writes.push(events.record(subjectOf(c), 'recovered', `${r.set.id} applies again at revision ${r.revision.slice(0, 12)}`));
  }
  await Promise.all(writes);
}

/** At most `max` lines joined, and how many more there were. */
export function summarize(lines: string[], max = 10): string {
  const shown = lines.slice(0, max).join('; ');
  return lines.length > max ? `${shown}; and ${lines.length - max} more` : shown;
}
