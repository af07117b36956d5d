/**
 * What a suspended cluster would get if it were resumed: the objects of the revision that waits,
 * against those last applied to it, object by object (the same comparison as `clusterops ci`'s
 * offline diff). The reconciler has both in memory, so it costs no request; status carries the
 * result, bounded, for `describe` and the dashboard's cluster page.
 *
 * Values are shown as short JSON text, never a secret's: a field of a Secret's `data` or
 * `stringData`, or one named like a credential (`password`, `token`, …), says only that it
 * changed, and the rest goes through the redactor's shapes (PEM blocks, kubeconfig fields).
 */
import { CLUSTER_LABEL, type ManifestSet } from '../model/manifest-set.js';
import { diffRevisions, type ObjectChange } from '../model/revision-diff.js';
import type { WaitingChange } from '../model/waiting-change.js';
import { Redactor } from './redact.js';

/** The changes a resume would make, at most `MAX_WAITING_CHANGES`, and how many more there are. */
export interface WaitingChanges {
  changes: WaitingChange[];
  more: number;
}

/** Most objects status lists. */
export const MAX_WAITING_CHANGES = 50;
/** Most fields listed of one object. */
export const MAX_WAITING_FIELDS = 8;
/** Longest value text. */
const MAX_VALUE = 120;
/** The last part of a path that names a credential. */
const SECRET_FIELD = /(password|passwd|token|secret|credential|private|(^|[._-])key)[^.]*$/i;
/** Only its shapes: the reconciler's own secrets are not in declared objects. */
const shapes = new Redactor();

/** The value of a field as short JSON text (cut with `…`); `(hidden)` for a Secret's data. */
function shown(change: ObjectChange, path: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (change.kind === 'Secret' && /^(data|stringData)(\.|\[|$)/.test(path)) return '(hidden)';
  if (SECRET_FIELD.test(path.replace(/\[\d+\]$/, ''))) return '(hidden)';
  const text = shapes.redact(JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The objects of `set` that are the cluster's: all of an add-on set, the ones labelled with it in a management set. */
function ofCluster(set: ManifestSet | undefined, cluster: string): ManifestSet | undefined {
  if (!set || set.target.kind === 'workload') return set;
  return { ...set, objects: set.objects.filter((o) => o.metadata.labels?.[CLUSTER_LABEL] === cluster) };
}

/** A pair of sets: what waits (`wanted`) and what is applied (`applied`, undefined when nothing was). */
export interface WaitingPair {
  wanted: ManifestSet;
  applied?: ManifestSet;
}

/** What resuming `cluster` would change, from its stage's management set and its add-on set; undefined when nothing. */
export function waitingChanges(cluster: string, pairs: ReadonlyArray<WaitingPair | undefined>): WaitingChanges | undefined {
  const base: ManifestSet[] = [];
  const head: ManifestSet[] = [];
  for (const pair of pairs) {
    if (!pair) continue;
    head.push(ofCluster(pair.wanted, cluster)!);
    const applied = ofCluster(pair.applied, cluster);
    if (applied) base.push(applied);
  }
  const { changes } = diffRevisions(base, head);
  if (changes.length === 0) return undefined;
  const listed = changes.slice(0, MAX_WAITING_CHANGES).map((c): WaitingChange => {
    const where = c.setId === head.find((s) => s.target.kind === 'workload')?.id ? 'addons' : 'management';
    const out: WaitingChange = { action: c.action, kind: c.kind, name: c.name, ...(c.namespace ? { namespace: c.namespace } : {}), where };
    if (c.action === 'changed') {
      out.fields = c.fields.slice(0, MAX_WAITING_FIELDS).map((f) => {
        const from = shown(c, f.path, f.base);
        const to = shown(c, f.path, f.head);
        return { path: f.path, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
      });
      if (c.fields.length > MAX_WAITING_FIELDS) out.moreFields = c.fields.length - MAX_WAITING_FIELDS;
    }
    return out;
  });
  return { changes: listed, more: changes.length - listed.length };
}
