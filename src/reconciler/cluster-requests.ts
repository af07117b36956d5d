/**
 * What people ask of a cluster through its live WorkloadCluster: suspend (spec.suspend or the
 * suspend annotation) and reconcile now (the reconcile-request annotation). Watched (one list, then
 * a watch: no request at rest, and a request or a resume is seen the moment it is made); read with
 * one list per pass where the API is not a client that can watch (tests' fakes).
 */
import type { Logger } from 'pino';
import { KubeClient, type KubeApi } from '../kube/client.js';
import { Informer } from '../kube/watch.js';
import { addonSetId, managementSetId, STAGE_LABEL } from '../model/manifest-set.js';
import {
  RECONCILE_REQUEST_ANNOTATION,
  SUSPEND_ANNOTATION,
  WORKLOAD_CLUSTER_API_VERSION,
  WORKLOAD_CLUSTER_PLURAL,
} from '../charts/workload-cluster-crd.js';
import type { HistoryEntry } from './status.js';

/** Live facts about a WorkloadCluster object the reconciler reads back. */
interface LiveCluster {
  uid: string;
  suspended: boolean;
  requestedAt?: string;
  /** What its status said, as written before (by this process or an earlier one). */
  revision?: string;
  history?: HistoryEntry[];
}

interface Item {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string>; [key: string]: unknown };
  spec?: { suspend?: boolean };
  status?: { revision?: string; history?: HistoryEntry[] };
  [key: string]: unknown;
}

const clusterKey = (stage: string, name: string) => `${stage}/${name}`;

/** The live WorkloadClusters' uids, suspension and reconcile requests. */
export class ClusterRequests {
  private readonly live = new Map<string, LiveCluster & { namespace: string }>();
  /** Sets a reconcile request asks for, until a pass takes them. */
  readonly forced = new Set<string>();
  /** Reconcile requests (annotation values) seen and not yet handled, by cluster. */
  private readonly pending = new Map<string, string>();
  /** The last reconcile request handled, by cluster: status reports it as `lastHandledReconcileAt`. */
  private readonly handled = new Map<string, string>();

  /** Whether the WorkloadClusters were listed at least once. */
  hasRead = false;
  private informer: Informer<Item> | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly logger: Logger,
    /** Told when a watched change asks for work: a reconcile request (`fetch`: fetch the source first) or a resume. */
    private readonly onRequest?: (what: { fetch: boolean }) => void,
  ) {}

  /** Starts watching the WorkloadClusters (when the API can watch); read() then costs no request. */
  start(): this {
    if (this.informer || !(this.api instanceof KubeClient)) return this;
    this.informer = new Informer<Item>({
      client: this.api,
      path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/${WORKLOAD_CLUSTER_PLURAL}`,
      onEvent: (e) => {
        const stage = e.object.metadata.labels?.[STAGE_LABEL];
        if (!stage) return;
        if (e.type === 'DELETED') this.live.delete(clusterKey(stage, e.object.metadata.name));
        else this.take(stage, e.object, this.hasRead);
      },
      onError: (error, retryInMs) => this.logger.debug({ err: error instanceof Error ? error.message : String(error), retryInMs }, 'watch of WorkloadClusters failed; retrying'),
    });
    this.informer.start();
    const started = this.informer;
    void started.hasSynced.then(() => {
      if (this.informer === started) this.hasRead = true;
    });
    return this;
  }

  /** Stops watching; start() watches again (a new list tells what changed meanwhile). */
  async stop(): Promise<void> {
    const informer = this.informer;
    this.informer = undefined;
    this.hasRead = false;
    await informer?.stop();
  }

  /**
   * Makes sure the live WorkloadClusters are known: watched, it waits (boundedly) for the first list
   * and then costs nothing; otherwise lists them once. A changed reconcile-request annotation forces
   * the cluster's two sets.
   */
  async read(): Promise<void> {
    if (this.informer) {
      if (this.hasRead) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.informer.hasSynced, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      if (this.hasRead) return;
      this.logger.warn('the watch of WorkloadClusters has not listed them yet; listing once');
    }
    let items: Item[];
    try {
      items = (await this.api.request<{ items: Item[] }>({ verb: 'list', method: 'GET', path: `/apis/${WORKLOAD_CLUSTER_API_VERSION}/${WORKLOAD_CLUSTER_PLURAL}` })).body.items;
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not list WorkloadClusters');
      return;
    }
    const seen = new Set<string>();
    for (const item of items) {
      const stage = item.metadata.labels?.[STAGE_LABEL];
      if (!stage) continue;
      seen.add(clusterKey(stage, item.metadata.name));
      this.take(stage, item, false);
    }
    for (const key of [...this.live.keys()]) if (!seen.has(key)) this.live.delete(key);
    this.hasRead = true;
  }

  /** Takes what one live WorkloadCluster says; `tell`: a change that asks for work is told to onRequest. */
  private take(stage: string, item: Item, tell: boolean): void {
    const key = clusterKey(stage, item.metadata.name);
    const annotations = item.metadata.annotations ?? {};
    const requestedAt = annotations[RECONCILE_REQUEST_ANNOTATION];
    const suspended = item.spec?.suspend === true || annotations[SUSPEND_ANNOTATION] === 'true';
    const prev = this.live.get(key);
    const requested = !!prev && requestedAt !== undefined && requestedAt !== prev.requestedAt;
    const resumed = !!prev && prev.suspended && !suspended;
    if (requested || resumed) {
      this.forced.add(managementSetId(stage));
      this.forced.add(addonSetId(stage, item.metadata.name));
    }
    // A request not handled yet (also one found at start: the first pass applies everything).
    if (requestedAt !== undefined && requestedAt !== this.handled.get(key)) this.pending.set(key, requestedAt);
    this.live.set(key, {
      namespace: item.metadata.namespace,
      uid: item.metadata.uid,
      suspended,
      requestedAt,
      revision: typeof item.status?.revision === 'string' ? item.status.revision : undefined,
      history: Array.isArray(item.status?.history) ? item.status.history.filter((h) => typeof h?.revision === 'string') : undefined,
    });
    // A request fetches the source first, as `flux reconcile --with-source` does.
    if (tell && (requested || resumed)) this.onRequest?.({ fetch: requested });
  }

  /** Whether the WorkloadClusters are watched (a request is told as it is made, no polling needed). */
  get watched(): boolean {
    return this.informer !== undefined;
  }

  /**
   * Marks as handled the requests of clusters whose sets a pass has just applied (`applied`: set
   * ids; an add-on set that does not exist counts as applied).
   */
  acknowledge(applied: ReadonlySet<string>, exists: (set: string) => boolean): void {
    for (const [key, requestedAt] of [...this.pending]) {
      const stage = key.slice(0, key.indexOf('/'));
      const name = key.slice(key.indexOf('/') + 1);
      const addons = addonSetId(stage, name);
      if (!applied.has(managementSetId(stage)) || (exists(addons) && !applied.has(addons))) continue;
      this.pending.delete(key);
      this.handled.set(key, requestedAt);
    }
  }

  /** The reconcile request last handled for the cluster (the annotation's value). */
  handledAt(stage: string, cluster: string): string | undefined {
    return this.handled.get(clusterKey(stage, cluster));
  }

  /** Whether reconciling the cluster is suspended. */
  suspended(stage: string, cluster: string): boolean {
    return this.live.get(clusterKey(stage, cluster))?.suspended ?? false;
  }

  /** The live WorkloadClusters of a stage, as last read. */
  clustersOf(stage: string): Array<{ namespace: string; name: string }> {
    return [...this.live.entries()].filter(([key]) => key.startsWith(`${stage}/`)).map(([key, c]) => ({ namespace: c.namespace, name: key.slice(stage.length + 1) }));
  }

  /** What the cluster's live status said of its revision and history when last read. */
  reported(stage: string, cluster: string): { revision?: string; history?: HistoryEntry[] } {
    const live = this.live.get(clusterKey(stage, cluster));
    return { revision: live?.revision, history: live?.history };
  }

  /** The uid of the cluster's WorkloadCluster, when it was seen (Events attach to it). */
  uid(stage: string, cluster: string): string | undefined {
    return this.live.get(clusterKey(stage, cluster))?.uid;
  }
}
