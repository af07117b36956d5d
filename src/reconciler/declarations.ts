import { formatProblem } from '../spec/problem.js';
import { readFleetDocuments, type ReadOffLoopOptions } from '../spec/read-off-loop.js';
import { CLUSTER_LABEL, STAGE_LABEL, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { WORKLOAD_CLUSTER_API_VERSION } from '../charts/workload-cluster-crd.js';

/** One declared cluster as the reconciler mirrors it into a WorkloadCluster object. */
export interface DeclaredCluster {
  stage: string;
  name: string;
  /** Where its WorkloadCluster object lives: the namespace of its Cluster API objects. */
  namespace: string;
  labels: Record<string, string>;
  /** The spec as declared (already validated by the revision's own synth). */
  spec: Record<string, unknown>;
}

/**
 * Reads the WorkloadCluster declarations of a checked-out revision, as written (stage defaults
 * are not merged in). Run after a successful synth, which has validated them; read again here with
 * the loader's file rules and parsing bounds, in a worker thread, because a revision's own synth
 * may not have checked: a file that breaks them rejects the revision, naming the file.
 */
export async function readDeclarations(clustersDir: string, opts?: ReadOffLoopOptions): Promise<Array<Omit<DeclaredCluster, 'namespace'>>> {
  const { documents, problems } = await readFleetDocuments(clustersDir, opts);
  if (problems.length) {
    const shown = problems.slice(0, 5).map(formatProblem);
    throw new Error(`declarations cannot be read: ${shown.join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  }
  const out: Array<Omit<DeclaredCluster, 'namespace'>> = [];
  for (const { stage, value: v } of documents) {
    const value = v as { kind?: string; metadata?: { name?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> } | null;
    if (value?.kind !== 'WorkloadCluster' || !value.metadata?.name) continue;
    out.push({ stage, name: value.metadata.name, labels: value.metadata.labels ?? {}, spec: value.spec ?? {} });
  }
  return out;
}

/** The namespace of a cluster's Cluster API objects in its stage's management set (the stage name when none says). */
export function clusterNamespace(set: ManifestSet | undefined, stage: string, cluster: string): string {
  const objects = set?.objects ?? [];
  const capi = objects.find((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('cluster.x-k8s.io/') && o.metadata.name === cluster);
  if (capi?.metadata.namespace) return capi.metadata.namespace;
  const labelled = objects.find((o) => o.metadata.labels?.[CLUSTER_LABEL] === cluster && o.metadata.namespace);
  return labelled?.metadata.namespace ?? stage;
}

/** The WorkloadCluster object mirroring a declaration. */
export function workloadClusterObject(c: DeclaredCluster): KubeObject {
  return {
    apiVersion: WORKLOAD_CLUSTER_API_VERSION,
    kind: 'WorkloadCluster',
    metadata: { name: c.name, namespace: c.namespace, labels: { ...c.labels, [STAGE_LABEL]: c.stage, [CLUSTER_LABEL]: c.name } },
    spec: c.spec,
  };
}

/**
 * The management set of a stage with a WorkloadCluster object per declared cluster added (and a
 * Namespace for any namespace they need that the set does not create), so the fleet shows in
 * `kubectl get workloadclusters -A` and goes away with prune like any other member.
 */
export function withWorkloadClusters(set: ManifestSet, clusters: DeclaredCluster[]): ManifestSet {
  const extra: KubeObject[] = [];
  const namespaces = new Set(set.objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.metadata.name));
  for (const c of clusters) {
    if (!namespaces.has(c.namespace)) {
      namespaces.add(c.namespace);
      extra.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace, labels: { [STAGE_LABEL]: c.stage } } });
    }
    extra.push(workloadClusterObject(c));
  }
  return { ...set, objects: [...set.objects, ...extra] };
}
