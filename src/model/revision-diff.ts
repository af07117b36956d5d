/**
 * What a change to the declarations (or to the code that synthesizes them) does, object by object:
 * the ManifestSets of a base revision against those of a head revision, with no cluster involved.
 * Each object is `created`, `deleted` or `changed` (with the fields that changed); each change is
 * attributed to the cluster it belongs to, or to its stage (ClusterClasses, templates, the
 * Namespace), in which case the clusters that use it are named.
 */
import { CLUSTER_LABEL, type KubeObject, type ManifestSet } from './manifest-set.js';

/** One field that differs: a dotted path (`spec.topology.version`, `[i]` for list items) and its values, absent when missing. */
export interface FieldChange {
  path: string;
  base?: unknown;
  head?: unknown;
}

/** One object that differs between the revisions. */
export interface ObjectChange {
  action: 'created' | 'changed' | 'deleted';
  /** The set it is in (head's, or base's when deleted). */
  setId: string;
  stage: string;
  /** The cluster it belongs to; undefined for a stage-level object. */
  cluster?: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** For `changed`: every differing leaf field, in path order. */
  fields: FieldChange[];
  /** For a stage-level object: the clusters (head's, else base's) that use it, by name. */
  touches: string[];
}

/** The whole difference between two revisions. */
export interface RevisionDiff {
  changes: ObjectChange[];
  /** Objects compared: the union of the objects of both lists of sets given. */
  objects: number;
}

const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');
const objectKey = (setId: string, o: KubeObject) => `${setId}|${group(o.apiVersion)}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;

interface Located {
  set: ManifestSet;
  object: KubeObject;
}

function index(sets: readonly ManifestSet[]): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const set of sets) for (const object of set.objects) out.set(objectKey(set.id, object), { set, object });
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The leaf fields in which `a` and `b` differ, `prefix` first. */
export function fieldChanges(a: unknown, b: unknown, prefix = ''): FieldChange[] {
  if (Object.is(a, b)) return [];
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => fieldChanges(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...fieldChanges(a[i], b[i], `${prefix}[${i}]`));
    return out;
  }
  const change: FieldChange = { path: prefix || '.' };
  if (a !== undefined) change.base = a;
  if (b !== undefined) change.head = b;
  return [change];
}

function clusterOf(located: Located): string | undefined {
  if (located.set.target.kind === 'workload') return located.set.target.cluster;
  return located.object.metadata.labels?.[CLUSTER_LABEL];
}

/** In `stage`'s management set: the text of each cluster's objects, with that of the ClusterClasses they name, to find who uses a stage-level object. */
function stageUsers(sets: readonly ManifestSet[], stage: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const set of sets) {
    if (set.target.kind !== 'management' || set.target.stage !== stage) continue;
    const classes = new Map<string, string>();
    for (const o of set.objects) {
      const cluster = o.metadata.labels?.[CLUSTER_LABEL];
      if (cluster) texts.set(cluster, (texts.get(cluster) ?? '') + JSON.stringify(o));
      else if (o.kind === 'ClusterClass') classes.set(o.metadata.name, JSON.stringify(o));
    }
    // A cluster uses what its own objects name, and what the ClusterClasses it names name in turn.
    for (const [cluster, text] of texts) {
      let all = text;
      for (const [name, classText] of classes) if (text.includes(`"${name}"`)) all += classText;
      texts.set(cluster, all);
    }
  }
  return texts;
}

/** Who uses the stage-level objects of each stage of one revision, worked out for a stage when first asked. */
class Users {
  private readonly byStage = new Map<string, Map<string, string>>();

  constructor(private readonly sets: readonly ManifestSet[]) {}

  /** The clusters of `stage` whose objects (or ClusterClass) mention `name`, sorted. */
  of(stage: string, name: string): string[] {
    let texts = this.byStage.get(stage);
    if (!texts) this.byStage.set(stage, (texts = stageUsers(this.sets, stage)));
    return [...texts].filter(([, text]) => text.includes(`"${name}"`)).map(([c]) => c).sort();
  }
}

/** Compares the sets of two revisions object by object (objects match by set, API group, kind, namespace and name). */
export function diffRevisions(base: readonly ManifestSet[], head: readonly ManifestSet[]): RevisionDiff {
  const before = index(base);
  const after = index(head);
  const headUsers = new Users(head);
  const baseUsers = new Users(base);
  const changes: ObjectChange[] = [];
  const describe = (action: ObjectChange['action'], at: Located, fields: FieldChange[]): ObjectChange => {
    const cluster = clusterOf(at);
    const stage = at.set.target.stage;
    const name = at.object.metadata.name;
    const touches = cluster ? [] : [...new Set([...headUsers.of(stage, name), ...baseUsers.of(stage, name)])].sort();
    return {
      action,
      setId: at.set.id,
      stage,
      cluster,
      apiVersion: at.object.apiVersion,
      kind: at.object.kind,
      namespace: at.object.metadata.namespace,
      name: at.object.metadata.name,
      fields,
      touches,
    };
  };
  for (const [key, now] of after) {
    const was = before.get(key);
    if (!was) changes.push(describe('created', now, []));
    else {
      const fields = fieldChanges(was.object, now.object);
      if (fields.length) changes.push(describe('changed', now, fields));
    }
  }
  for (const [key, was] of before) if (!after.has(key)) changes.push(describe('deleted', was, []));
  const order = { created: 0, changed: 1, deleted: 2 } as const;
  changes.sort(
    (a, b) =>
      a.stage.localeCompare(b.stage) ||
      (a.cluster ?? '').localeCompare(b.cluster ?? '') ||
      order[a.action] - order[b.action] ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  return { changes, objects: new Set([...before.keys(), ...after.keys()]).size };
}
