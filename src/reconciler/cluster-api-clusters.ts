/**
 * The Cluster API Clusters of the management cluster, kept by a watch (src/kube/watch.ts) so the
 * reconciler rewrites a WorkloadCluster's status as soon as Cluster API changes its Cluster, not on
 * the next pass, and without a list per pass.
 */
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { Informer, type WatchedObject } from '../kube/watch.js';
import { clusterApiFacts, type ClusterApiFacts, type ClusterObject } from './cluster-api-facts.js';

/** Collection of every namespace's Clusters. */
const CLUSTERS_PATH = '/apis/cluster.x-k8s.io/v1beta2/clusters';

/** What the reconciler knows of Cluster API: nothing yet, or the Clusters as last seen. */
export class ClusterApiClusters {
  private readonly informer: Informer<ClusterObject & WatchedObject>;
  private synced = false;
  private attempted!: () => void;
  /** Resolves after the first list, whether it worked or failed. */
  private readonly firstAttempt = new Promise<void>((resolve) => (this.attempted = resolve));

  constructor(client: KubeClient, logger: Logger, onChange: (namespace: string, name: string) => void) {
    let lastError = '';
    this.informer = new Informer<ClusterObject & WatchedObject>({
      client,
      path: CLUSTERS_PATH,
      onEvent: ({ object }) => {
        if (this.synced) onChange(object.metadata.namespace ?? '', object.metadata.name);
      },
      onError: (error) => {
        this.attempted();
        const message = error instanceof Error ? error.message : String(error);
        // Once per distinct error: a management cluster without Cluster API's CRDs fails the same way every time.
        if (message !== lastError) logger.warn({ err: message }, 'could not watch Cluster API Clusters');
        lastError = message;
      },
    });
    void this.informer.hasSynced.then(() => {
      this.synced = true;
      this.attempted();
    });
  }

  /** Starts watching. */
  start(): this {
    this.informer.start();
    return this;
  }

  /** Resolves once the first list arrived or failed, or after `maxMs` (the facts stay unknown until a list arrives). */
  async ready(maxMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.firstAttempt, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs)))]);
    clearTimeout(timer);
  }

  /** Stops watching. */
  async stop(): Promise<void> {
    await this.informer.stop();
  }

  /**
   * The facts of Cluster `namespace/name`: `undefined` until the first list arrived (nothing known),
   * `null` when it is known not to exist.
   */
  facts(namespace: string, name: string): ClusterApiFacts | null | undefined {
    if (!this.synced) return undefined;
    const cluster = this.informer.get(`${namespace}/${name}`);
    return cluster ? clusterApiFacts(cluster) : null;
  }
}
