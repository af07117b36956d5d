import type { KubeApi } from '../kube/client.js';
import { Discovery } from '../kube/discovery.js';
import { INVENTORY_NAMESPACE, type KubeObject, type ManifestSet } from '../model/manifest-set.js';
import { ensureCrds } from './crd-established.js';
import type { LiveCache } from './live-cache.js';
import type { ChangeSet } from './change-set.js';
import { applySet, applySets, type ApplyOptions } from './manager-apply.js';
import { diffSet, diffSets, type DiffOptions } from './manager-diff.js';
import { waitForObjects } from './manager-wait.js';
import type { WaitObject, WaitOptions, WaitResult } from './wait.js';

/** Field manager of every server-side apply clusterops makes. */
export const FIELD_MANAGER = 'clusterops';

/** Settings shared by every verb of a ResourceManager. */
export interface ResourceManagerOptions {
  /** @default `clusterops` */
  fieldManager?: string;
  /** Namespace of the inventories (ApplySet parents). @default `clusterops-system` */
  inventoryNamespace?: string;
  /** Requests in flight within one apply stage. @default 16 */
  concurrency?: number;
  /** Time allowed for a CRD of the set to become Established, and for a replaced object to go. @default 60000 */
  waitTimeoutMs?: number;
  /** Called after each object is handled, for progress display. */
  onProgress?: (progress: Progress) => void;
  /**
   * CustomResourceDefinitions the sets use without declaring them (the WorkloadCluster CRD in the
   * management cluster): installed before the first apply that writes, and counted as defined
   * kinds when a diff or dry-run plans before they are installed. @default none
   */
  prerequisiteCrds?: KubeObject[];
  /** Watches that plans read kinds from instead of listing them (a long-running reconciler's). @default none */
  liveCache?: LiveCache;
}

/** How far a verb has come through a set. */
export interface Progress {
  set: string;
  verb: 'apply' | 'diff' | 'prune';
  done: number;
  total: number;
}

/**
 * Applies, diffs and prunes ManifestSets on one cluster with server-side apply; each verb lives in
 * its own file (manager-apply.ts, manager-diff.ts, manager-prune.ts).
 */
export class ResourceManager {
  readonly discovery: Discovery;
  readonly fieldManager: string;
  readonly inventoryNamespace: string;
  readonly concurrency: number;
  readonly waitTimeoutMs: number;
  readonly onProgress: (progress: Progress) => void;
  readonly prerequisiteCrds: readonly KubeObject[];
  /** Watches plans read from (see ResourceManagerOptions.liveCache); set by a reconciler once it runs for long. */
  liveCache: LiveCache | undefined;
  private prerequisitesInstalled: Promise<void> | undefined;

  constructor(
    readonly api: KubeApi,
    options: ResourceManagerOptions = {},
  ) {
    this.discovery = new Discovery(api);
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.inventoryNamespace = options.inventoryNamespace ?? INVENTORY_NAMESPACE;
    this.concurrency = options.concurrency ?? 16;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
    this.onProgress = options.onProgress ?? (() => {});
    this.prerequisiteCrds = options.prerequisiteCrds ?? [];
    this.liveCache = options.liveCache;
  }

  /** Installs the prerequisite CRDs once per manager (again after a failure), and waits until they are served. */
  installPrerequisites(): Promise<void> {
    if (this.prerequisiteCrds.length === 0) return Promise.resolve();
    this.prerequisitesInstalled ??= ensureCrds(this.api, this.discovery, [...this.prerequisiteCrds], this.fieldManager, this.waitTimeoutMs).catch((error: unknown) => {
      this.prerequisitesInstalled = undefined;
      throw error;
    });
    return this.prerequisitesInstalled;
  }

  /** Applies a set: staged server-side apply of what changed, then prune when asked. */
  apply(set: ManifestSet, options: ApplyOptions = {}): Promise<ChangeSet> {
    return applySet(this, set, options);
  }

  /** Applies several sets one after the other, planned together; a set that cannot be applied is reported as its error. */
  applyAll(sets: ManifestSet[], options: ApplyOptions = {}): Promise<ChangeSet> {
    return applySets(this, sets, options);
  }

  /** What applying a set would change, with a diff per changed object; changes nothing. */
  diff(set: ManifestSet, options: DiffOptions = {}): Promise<ChangeSet> {
    return diffSet(this, set, options);
  }

  /** Waits until the objects are healthy, or one failed, or the timeout passed. */
  wait(objects: WaitObject[], options: WaitOptions): Promise<WaitResult> {
    return waitForObjects(this, objects, options);
  }

  /** What applying several sets would change; changes nothing. */
  diffAll(sets: ManifestSet[], options: DiffOptions = {}): Promise<ChangeSet> {
    return diffSets(this, sets, options);
  }
}
