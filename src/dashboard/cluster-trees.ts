/**
 * The Cluster API tree of one cluster for its dashboard page, read from the API server when a page
 * asks (the dashboard watches no Machines: a fleet of 1,000 clusters would mean watching thousands
 * of objects nobody looks at). Answers are kept a few seconds per version of the WorkloadCluster,
 * and browsers asking at once share one read, so a page opened in many tabs, or one refetching on
 * every change of its cluster, makes a handful of requests, not a storm; a new resourceVersion
 * (the reconciler copies Cluster API's conditions and replica counts into the status) reads again.
 */
import type { KubeApi } from '../kube/client.js';
import { readClusterApiObjects } from '../kube/cluster-api-objects.js';
import { clusterTree } from '../model/cluster-tree.js';
import type { ClusterTreeAnswer } from './fleet-wire.js';

/** How long an answer is reused for the same version of the cluster. */
const FRESH_MS = 5_000;
/** Most answers kept (pages open at once); the oldest go first. */
const MAX_KEPT = 200;

interface Kept {
  at: number;
  answer: Promise<ClusterTreeAnswer>;
}

/** See the module comment. */
export class ClusterTrees {
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly client: KubeApi,
    private readonly now: () => number = Date.now,
  ) {}

  /** The tree of `namespace/name` as of `resourceVersion` of its WorkloadCluster; a failed read is not kept. */
  tree(namespace: string, name: string, resourceVersion: string): Promise<ClusterTreeAnswer> {
    const key = `${namespace}/${name}@${resourceVersion}`;
    const now = this.now();
    const found = this.kept.get(key);
    if (found && now - found.at < FRESH_MS) return found.answer;
    for (const [k, v] of this.kept) if (now - v.at >= FRESH_MS || this.kept.size >= MAX_KEPT) this.kept.delete(k);
    const answer = readClusterApiObjects(this.client, namespace, name).then((objects) => ({ tree: clusterTree(objects) ?? null, readAt: new Date(now).toISOString() }));
    this.kept.set(key, { at: now, answer });
    answer.catch(() => this.kept.get(key)?.answer === answer && this.kept.delete(key));
    return answer;
  }
}
