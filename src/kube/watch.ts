/**
 * An informer: keeps a local copy of one collection of the API (list, then watch from the list's
 * resourceVersion with bookmarks) and reports every change. A watch that ends is resumed from the
 * last resourceVersion seen; one that expired (410 Gone) or failed is replaced by a fresh list, after
 * a backoff, and the difference to the copy is reported as events, so no change is ever missed.
 */
import { KubeError, type KubeClient } from './client.js';

/** The objects an informer holds: anything with a name and a resourceVersion. */
export interface WatchedObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One change of the collection. */
export interface WatchEvent<T extends WatchedObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/** What to watch and who hears of it. */
export interface InformerOptions<T extends WatchedObject> {
  client: KubeClient;
  /** Collection path, e.g. `/apis/cluster.x-k8s.io/v1beta2/clusters` (every namespace). */
  path: string;
  /** @default everything */
  labelSelector?: string;
  /** e.g. `involvedObject.kind=WorkloadCluster` for Events. @default everything */
  fieldSelector?: string;
  /** Called for every change, in order; also for the differences a re-list finds. */
  onEvent(event: WatchEvent<T>): void;
  /** Called when a list or watch failed, with the wait before it tries again (by itself). @default ignored */
  onError?(error: unknown, retryInMs: number): void;
  /** Server-side length of one watch request, in seconds. @default 300 */
  watchSeconds?: number;
  /** Longest wait between attempts after failures. @default 30_000 */
  maxBackoffMs?: number;
  /** Ask for metadata only (PartialObjectMetadata): a fraction of the bytes, for what needs no spec. @default false */
  metadataOnly?: boolean;
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

interface ListAnswer<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(object: { metadata: { name: string; namespace?: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

/** A list+watch cache of one collection; see the module comment. */
export class Informer<T extends WatchedObject> {
  private readonly store = new Map<string, T>();
  private readonly abort = new AbortController();
  private synced!: () => void;
  /** Resolves once the first list is in the store. */
  readonly hasSynced: Promise<void> = new Promise((resolve) => (this.synced = resolve));
  private running: Promise<void> | undefined;
  private failing = false;
  private listed = false;

  constructor(private readonly options: InformerOptions<T>) {}

  /** Whether the copy is current: listed, and no failure since the last list (a failed watch lists again). */
  get healthy(): boolean {
    return this.listed && !this.failing;
  }

  /** Starts listing and watching; returns at once. */
  start(): this {
    this.running ??= this.run();
    return this;
  }

  /** Stops watching; resolves when the current request has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** The object at `key` (`namespace/name`) as last seen. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  /** Every object as last seen. */
  list(): T[] {
    return [...this.store.values()];
  }

  private async run(): Promise<void> {
    let failures = 0;
    let resourceVersion: string | undefined;
    while (!this.abort.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.relist();
          this.listed = true;
          this.failing = false;
        }
        this.synced();
        // Stopped while listing: no new watch (the client may be closed by now).
        if (this.abort.signal.aborted) return;
        resourceVersion = await this.watch(resourceVersion);
        failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        // An expired resourceVersion needs a new list; any other failure too, after a backoff. A
        // collection that is not served (yet: its CRD is being installed) is looked for every
        // second, so a watch started before the CRD exists lists it as soon as it does.
        resourceVersion = undefined;
        // Until the next list, changes may be missed: the copy is not current.
        this.failing = true;
        if (!(error instanceof KubeError && error.status === 410)) {
          failures++;
          const notServed = error instanceof KubeError && error.status === 404;
          const wait = Math.min(this.options.maxBackoffMs ?? 30_000, notServed ? NOT_SERVED_RETRY_MS : 250 * 2 ** Math.min(failures, 10));
          this.options.onError?.(error, wait);
          await delay(wait, this.abort.signal);
        }
      }
    }
  }

  /** Lists the collection, reports what changed since the store was last filled, and returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const { body } = await this.options.client.request<ListAnswer<T>>({
      verb: 'list',
      method: 'GET',
      path: this.options.path,
      query: { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector },
      accept: this.options.metadataOnly ? METADATA_LIST : undefined,
    });
    const seen = new Set<string>();
    for (const object of body.items) {
      const key = objectKey(object);
      seen.add(key);
      const before = this.store.get(key);
      this.store.set(key, object);
      if (!before) this.options.onEvent({ type: 'ADDED', object });
      else if (before.metadata.resourceVersion !== object.metadata.resourceVersion) this.options.onEvent({ type: 'MODIFIED', object });
    }
    for (const [key, object] of [...this.store]) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.options.onEvent({ type: 'DELETED', object });
    }
    return body.metadata.resourceVersion;
  }

  /** Watches from `resourceVersion` until the server ends the request; returns the last resourceVersion seen. */
  private async watch(resourceVersion: string): Promise<string> {
    let latest = resourceVersion;
    let pending = '';
    let failure: unknown;
    const seconds = this.options.watchSeconds ?? 300;
    await this.options.client.stream(
      {
        verb: 'watch',
        method: 'GET',
        path: this.options.path,
        query: {
          watch: '1',
          resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(seconds),
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        accept: this.options.metadataOnly ? METADATA_WATCH : undefined,
      },
      (chunk) => {
        pending += chunk.toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line === '' || failure) continue;
          const event = JSON.parse(line) as { type: string; object: T & { code?: number; message?: string } };
          if (event.type === 'ERROR') {
            const status = event.object.code ?? 500;
            failure = new KubeError(status, status === 410 ? 'Expired' : 'WatchError', event.object.message ?? 'watch error', 'GET', this.options.path);
            continue;
          }
          latest = event.object.metadata.resourceVersion ?? latest;
          if (event.type === 'BOOKMARK') continue;
          this.apply(event.type as WatchEvent<T>['type'], event.object);
        }
      },
      this.abort.signal,
      (seconds + 60) * 1000,
    );
    if (failure) throw failure;
    return latest;
  }

  private apply(type: WatchEvent<T>['type'], object: T): void {
    const key = objectKey(object);
    if (type === 'DELETED') this.store.delete(key);
    else this.store.set(key, object);
    this.options.onEvent({ type, object });
  }
}

/** How often a collection that is not served is looked for again. */
const NOT_SERVED_RETRY_MS = 1000;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
