import { KubeError, type KubeApi } from './client.js';

/** Where objects of one kind live in the API. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in paths, e.g. `configmaps`. */
  resource: string;
  namespaced: boolean;
  /** Whether the resource can be listed (false for review-style resources). @default true */
  listable?: boolean;
}

/** A kind the API server does not serve (yet). */
export class KindNotFoundError extends Error {
  override name = 'KindNotFoundError';

  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`the API server does not serve kind ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`);
  }
}

interface APIResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

interface APIGroupList {
  groups?: Array<{ name: string; preferredVersion?: { groupVersion: string } }>;
}

interface APIGroup {
  preferredVersion?: { version: string };
  versions?: Array<{ version: string }>;
}

interface CacheEntry {
  fetchedAt: number;
  kinds: Promise<Map<string, ResourceInfo>>;
}

/** Group and version of an apiVersion string (`v1` is the core group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** API path of a resource collection or of one object. */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string): string {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}` : '';
  return `${root}${ns}/${info.resource}${obj}`;
}

/**
 * Maps apiVersion and kind to resource and scope through API discovery, one request per group
 * version, cached; a kind that is not found refreshes its group version (a CRD may just have been
 * established), at most once per `missRefreshMs`.
 */
export class Discovery {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly api: KubeApi,
    /** Shortest time between two refreshes of the same group version on a miss. */
    private readonly missRefreshMs = 250,
  ) {}

  /** The resource serving a kind, or undefined when the server does not serve it. */
  async lookup(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let entry = this.cache.get(apiVersion);
    if (!entry) entry = this.fetch(apiVersion);
    const found = (await entry.kinds).get(kind);
    if (found) return found;
    const current = this.cache.get(apiVersion);
    if (current && current !== entry) return (await current.kinds).get(kind);
    if (Date.now() - entry.fetchedAt < this.missRefreshMs) return undefined;
    return (await this.fetch(apiVersion).kinds).get(kind);
  }

  /** The resource serving a kind; throws KindNotFoundError when the server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.lookup(apiVersion, kind);
    if (!info) throw new KindNotFoundError(apiVersion, kind);
    return info;
  }

  /**
   * The resource serving a group kind in any version: `versionHint` first, then the group's
   * preferred and other served versions. Undefined when no version serves it.
   */
  async lookupGroupKind(group: string, kind: string, versionHint?: string): Promise<ResourceInfo | undefined> {
    const apiVersionOf = (v: string) => (group ? `${group}/${v}` : v);
    if (versionHint) {
      const hinted = await this.lookup(apiVersionOf(versionHint), kind);
      if (hinted) return hinted;
    }
    if (group === '') return versionHint === 'v1' ? undefined : this.lookup('v1', kind);
    let versions: string[];
    try {
      const res = await this.api.request<APIGroup>({ verb: 'get', method: 'GET', path: `/apis/${group}` });
      const preferred = res.body.preferredVersion?.version;
      versions = (res.body.versions ?? []).map((v) => v.version).sort((a, b) => Number(b === preferred) - Number(a === preferred));
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
    for (const v of versions) {
      if (v === versionHint) continue;
      const info = await this.lookup(apiVersionOf(v), kind);
      if (info) return info;
    }
    return undefined;
  }

  /**
   * Every resource that can be listed, in the preferred version of each group (core v1 first), and
   * the group versions whose API is unavailable (503: an aggregated API server that is down).
   */
  async listable(): Promise<{ kinds: ResourceInfo[]; unavailable: string[] }> {
    const groups = (await this.api.request<APIGroupList>({ verb: 'get', method: 'GET', path: '/apis' })).body.groups ?? [];
    const versions = ['v1', ...groups.map((g) => g.preferredVersion?.groupVersion).filter((v): v is string => !!v)];
    const kinds: ResourceInfo[] = [];
    const unavailable: string[] = [];
    for (const apiVersion of versions) {
      const entry = this.cache.get(apiVersion) ?? this.fetch(apiVersion);
      try {
        for (const info of (await entry.kinds).values()) if (info.listable) kinds.push(info);
      } catch (error) {
        // An aggregated API whose server is down (metrics-server without pods): its kinds cannot be known now.
        if (!(error instanceof KubeError && error.status === 503)) throw error;
        unavailable.push(apiVersion);
      }
    }
    return { kinds, unavailable };
  }

  /** Forgets what is known of a group version, so the next lookup asks the server. */
  forget(apiVersion: string): void {
    this.cache.delete(apiVersion);
  }

  private fetch(apiVersion: string): CacheEntry {
    const { group, version } = splitApiVersion(apiVersion);
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const entry: CacheEntry = { fetchedAt: Date.now(), kinds: Promise.resolve(new Map()) };
    entry.kinds = this.api.request<APIResourceList>({ verb: 'get', method: 'GET', path }).then(
      (res) => {
        const map = new Map<string, ResourceInfo>();
        for (const r of res.body.resources ?? []) {
          if (r.name.includes('/')) continue;
          map.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced, listable: r.verbs?.includes('list') ?? true });
        }
        return map;
      },
      (error: unknown) => {
        if (error instanceof KubeError && error.status === 404) return new Map<string, ResourceInfo>();
        if (this.cache.get(apiVersion) === entry) this.cache.delete(apiVersion);
        throw error;
      },
    );
    this.cache.set(apiVersion, entry);
    return entry;
  }
}
