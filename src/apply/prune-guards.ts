/**
 * What prune must never delete, as tables: guards on an object's own annotations; containers whose
 * deletion takes other objects with them (a Namespace its contents, a CustomResourceDefinition every
 * object of its kind); and what a kept object stands on (a topology Cluster its ClusterClass and
 * WorkloadCluster mirror, a ClusterClass its templates), with owner references among the
 * candidates. Deciding only reads; every read happens before prune deletes anything.
 */
import { KubeError, type KubeApi } from '../kube/client.js';
import { resourcePath, splitApiVersion, type Discovery, type ResourceInfo } from '../kube/discovery.js';
import { DELETION_PROTECTION_ANNOTATION, PRUNE_ANNOTATION } from '../model/manifest-set.js';
import { mapLimit } from './_pool.js';
import { listLive, type LiveMeta } from './live-state.js';
import { displayRef, refKey, type ObjectRef } from './object-ref.js';

/** Guards on an object's own annotations: the first that applies is why it is kept (prune) or not replaced (--force-replace). */
export const PROTECTION_GUARDS: ReadonlyArray<{ reason: string; applies: (annotations: Record<string, string>) => boolean }> = [
  {
    reason: 'deletion protection',
    applies: (a) => a[DELETION_PROTECTION_ANNOTATION] !== undefined && a[DELETION_PROTECTION_ANNOTATION] !== 'false',
  },
  { reason: `${PRUNE_ANNOTATION}: disabled`, applies: (a) => a[PRUNE_ANNOTATION] === 'disabled' },
];

/** Why an object with these annotations must not be deleted, or undefined. */
export function protectionReason(annotations: Record<string, string>): string | undefined {
  return PROTECTION_GUARDS.find((g) => g.applies(annotations))?.reason;
}

/** A live object that would be deleted together with a container. */
export interface Dependent {
  ref: ObjectRef;
  live: LiveMeta;
}

/** What reads a guard may make. */
export interface GuardReads {
  api: KubeApi;
  discovery: Discovery;
  concurrency: number;
}

/** A member of the previous inventory that the set no longer declares, as read live. */
export interface GuardCandidate {
  ref: ObjectRef;
  info: ResourceInfo;
  live: LiveMeta;
}

/** Kinds whose deletion deletes other objects (`group/Kind`): how to list what would go with one. */
const CONTAINERS: Record<string, (reads: GuardReads, c: GuardCandidate) => Promise<Dependent[]>> = {
  '/Namespace': namespaceContents,
  'apiextensions.k8s.io/CustomResourceDefinition': crdInstances,
};

/**
 * Objects whose deletion with a container is expected and harmless: what Kubernetes itself puts in
 * every namespace, events, objects with owner references (garbage collection follows their owners,
 * which are judged themselves), and the Endpoints of a Service this prune deletes (the endpoints
 * controller keeps them without an owner reference, and they go with it). `going` holds the refKeys
 * of the candidates this prune deletes.
 */
const EXPECTED_DEPENDENTS: ReadonlyArray<(d: Dependent, going: ReadonlySet<string>) => boolean> = [
  (d) => d.ref.kind === 'Event',
  (d, going) => d.ref.group === '' && d.ref.kind === 'Endpoints' && going.has(refKey({ ...d.ref, kind: 'Service' })),
  (d) => d.ref.group === '' && d.ref.kind === 'ServiceAccount' && d.ref.name === 'default',
  (d) => d.ref.group === '' && d.ref.kind === 'ConfigMap' && d.ref.name === 'kube-root-ca.crt',
  (d) => d.live.ownerUids.length > 0,
  (d) => d.live.deleting,
];

type Obj = Record<string, any>;

/** Kinds that stand on other objects (`group/Kind`): what a kept object of the kind references. */
const REFERENCES: Record<string, (o: Obj) => ObjectRef[]> = {
  'cluster.x-k8s.io/Cluster': (o) => [
    ...(o.spec?.topology?.classRef?.name
      ? [{ group: 'cluster.x-k8s.io', kind: 'ClusterClass', namespace: o.spec.topology.classRef.namespace ?? o.metadata.namespace, name: o.spec.topology.classRef.name }]
      : []),
    { group: 'clusterops.io', kind: 'WorkloadCluster', namespace: o.metadata.namespace, name: o.metadata.name },
  ],
  'cluster.x-k8s.io/ClusterClass': (o) => templateRefs(o.spec, o.metadata.namespace),
  'clusterops.io/WorkloadCluster': (o) => [{ group: 'cluster.x-k8s.io', kind: 'Cluster', namespace: o.metadata.namespace, name: o.metadata.name }],
};

const gk = (ref: { group: string; kind: string }) => `${ref.group}/${ref.kind}`;

/**
 * Which candidates must be kept, and why (key: refKey). Starts from the own-annotation guards, then
 * repeats until nothing changes: what a kept object references or is owned by is kept; a container
 * that still holds an object this prune does not delete (kept, another set's, or not created by
 * clusterops) is kept. A failed read throws, so the caller deletes nothing.
 */
export async function keptCandidates(reads: GuardReads, candidates: GuardCandidate[]): Promise<Map<string, string>> {
  const byKey = new Map(candidates.map((c) => [refKey(c.ref), c]));
  const kept = new Map<string, string>();
  for (const [key, c] of byKey) {
    const reason = protectionReason(c.live.annotations);
    if (reason) kept.set(key, reason);
  }
  const contents = new Map<string, Dependent[]>();
  await mapLimit(
    candidates.filter((c) => CONTAINERS[gk(c.ref)] && !kept.has(refKey(c.ref))),
    reads.concurrency,
    async (c) => contents.set(refKey(c.ref), await CONTAINERS[gk(c.ref)](reads, c)),
  );
  const expanded = new Set<string>();
  const byUid = new Map(candidates.map((c) => [c.live.uid, c]));
  for (let changed = true; changed; ) {
    changed = false;
    const keep = (key: string, reason: string) => {
      if (kept.has(key) || !byKey.has(key)) return;
      kept.set(key, reason);
      changed = true;
    };
    for (const key of [...kept.keys()]) {
      if (expanded.has(key)) continue;
      expanded.add(key);
      const c = byKey.get(key)!;
      for (const uid of c.live.ownerUids) if (byUid.has(uid)) keep(refKey(byUid.get(uid)!.ref), `owns ${displayRef(c.ref)}, which is kept`);
      const refs = REFERENCES[gk(c.ref)];
      if (!refs) continue;
      const full = (await reads.api.request<Obj>({ verb: 'get', method: 'GET', path: resourcePath(c.info, c.ref.namespace, c.ref.name) })).body;
      for (const ref of refs(full)) keep(refKey(ref), `${displayRef(c.ref)} is kept and uses it`);
    }
    const going = candidates.filter((c) => !kept.has(refKey(c.ref)));
    const deleting = new Set(going.map((c) => c.live.uid));
    const goingKeys = new Set(going.map((c) => refKey(c.ref)));
    for (const [key, dependents] of contents) {
      if (kept.has(key)) continue;
      const blocking = dependents.filter((d) => !deleting.has(d.live.uid) && !EXPECTED_DEPENDENTS.some((expected) => expected(d, goingKeys)));
      if (blocking.length === 0) continue;
      const shown = blocking.slice(0, 3).map((d) => displayRef(d.ref)).join(', ');
      keep(key, `still holds ${blocking.length} object(s) prune does not delete: ${shown}${blocking.length > 3 ? ', …' : ''}`);
    }
  }
  return kept;
}

/**
 * Every object in a namespace, of every listable namespaced kind, metadata only. A kind this
 * identity may not list, or an API that is unavailable (an aggregated API server that is down),
 * counts as one object prune does not delete: what cannot be seen is kept.
 */
async function namespaceContents(reads: GuardReads, c: GuardCandidate): Promise<Dependent[]> {
  const { kinds, unavailable } = await reads.discovery.listable();
  const unseen = (group: string, kind: string, why: string): Dependent => ({
    ref: { group, kind, namespace: c.ref.name, name: why },
    live: { namespace: c.ref.name, name: '', uid: '', resourceVersion: '', labels: {}, annotations: {}, deleting: false, ownerUids: [] },
  });
  const out: Dependent[] = unavailable.map((gv) => unseen(splitApiVersion(gv).group, '*', `(API ${gv} unavailable)`));
  await mapLimit(kinds.filter((info) => info.namespaced), reads.concurrency, async (info) => {
    try {
      for (const live of (await listLive(reads.api, info, undefined, c.ref.name)).values()) {
        out.push({ ref: { group: info.group, kind: info.kind, namespace: live.namespace, name: live.name }, live });
      }
    } catch (error) {
      if (!(error instanceof KubeError && (error.status === 403 || error.status === 503))) throw error;
      out.push(unseen(info.group, info.kind, error.status === 403 ? '(not allowed to list)' : '(API unavailable)'));
    }
  });
  return out;
}

/** Every object of the kinds a CustomResourceDefinition serves, in all namespaces, metadata only. */
async function crdInstances(reads: GuardReads, c: GuardCandidate): Promise<Dependent[]> {
  const crd = (await reads.api.request<Obj>({ verb: 'get', method: 'GET', path: resourcePath(c.info, '', c.ref.name) })).body;
  const version = (crd.spec?.versions ?? []).find((v: Obj) => v.served !== false)?.name as string | undefined;
  if (!version) return [];
  const info: ResourceInfo = { group: crd.spec.group, version, kind: crd.spec.names.kind, resource: crd.spec.names.plural, namespaced: crd.spec.scope === 'Namespaced' };
  return [...(await listLive(reads.api, info)).values()].map((live) => ({ ref: { group: info.group, kind: info.kind, namespace: live.namespace, name: live.name }, live }));
}

/** Every `templateRef` (apiVersion, kind, name) anywhere under `value`, in `namespace`. */
function templateRefs(value: unknown, namespace: string): ObjectRef[] {
  const out: ObjectRef[] = [];
  const walk = (v: unknown, key?: string) => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') {
      const o = v as Obj;
      if (key === 'templateRef' && typeof o.kind === 'string' && typeof o.name === 'string') {
        const apiVersion = String(o.apiVersion ?? '');
        out.push({ group: apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '', kind: o.kind, namespace: o.namespace ?? namespace, name: o.name });
      }
      for (const [k, x] of Object.entries(o)) walk(x, k);
    }
  };
  walk(value);
  return out;
}
