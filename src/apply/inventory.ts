import { INVENTORY_NAMESPACE } from '../model/manifest-set.js';
import { createHash } from 'node:crypto';
import { KubeError, type KubeApi } from '../kube/client.js';
import { groupKindOf, parseRefKey, refKey, type ObjectRef } from './object-ref.js';

/** Label on every applied object naming the ApplySet it belongs to. */
export const PART_OF_LABEL = 'applyset.kubernetes.io/part-of';
/** Label on the ApplySet parent carrying its id. */
export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id';
/** Annotation on the parent naming the tool that manages the set. */
export const TOOLING_ANNOTATION = 'applyset.kubernetes.io/tooling';
/** Annotation on the parent listing the `Kind.group`s its members may have. */
export const GROUP_KINDS_ANNOTATION = 'applyset.kubernetes.io/contains-group-kinds';
/** Annotation on the parent listing the namespaces of members other than the parent's own. */
export const NAMESPACES_ANNOTATION = 'applyset.kubernetes.io/additional-namespaces';
/** The tooling annotation's value. */
export const TOOLING = 'clusterops/v0.1.0';

const PARENT_KIND = 'ConfigMap';
const PARENT_GROUP = '';
const OBJECTS_KEY = 'objects';
/** A ConfigMap holds at most 1 MiB; keep a margin for metadata. */
const MAX_OBJECTS_BYTES = 900 * 1024;

/** What the inventory remembers of one member object, as of the last apply. */
export interface InventoryEntry {
  ref: ObjectRef;
  /** contentHash of what was applied; undefined while an apply of it is in progress (or failed). */
  hash?: string;
  uid?: string;
  /** metadata.generation after the apply, when the kind has one. */
  generation?: number;
  /** metadata.resourceVersion after the apply. */
  resourceVersion?: string;
  /** API version it was applied with, to address it again (prune). */
  version?: string;
  /** The add-on that rendered it (its ADDON_LABEL), to tell a declared removal from an accident. */
  addon?: string;
}

/**
 * The ApplySet id of a parent object, as the ApplySet KEP computes it:
 * `applyset-` + base64url(sha256(`<name>.<namespace>.<kind>.<group>`)) + `-v1`.
 */
export function applySetId(parent: { name: string; namespace: string; kind: string; group: string }): string {
  const digest = createHash('sha256')
    .update(`${parent.name}.${parent.namespace}.${parent.kind}.${parent.group}`)
    .digest('base64url');
  return `applyset-${digest}-v1`;
}

/** Name of the ApplySet parent ConfigMap of a ManifestSet. */
export function inventoryName(setId: string): string {
  return `applyset-${setId}`;
}

/** Stored state is not a clusterops inventory, or cannot be read. */
export class InventoryError extends Error {
  override name = 'InventoryError';
}

/**
 * The inventory of one ManifestSet: an ApplySet parent ConfigMap `applyset-<set id>` that lists the
 * members applied last time with the content hash, uid, generation and resourceVersion of each.
 */
export class Inventory {
  /** The ApplySet id, the value of every member's part-of label. */
  readonly id: string;
  readonly name: string;

  private constructor(
    readonly setId: string,
    readonly namespace: string,
    /** Members by refKey. */
    readonly entries: Map<string, InventoryEntry>,
    /** Group kinds recorded on the parent (may include kinds with no member left). */
    readonly groupKinds: Set<string>,
    /** Whether the parent exists on the server. */
    readonly exists: boolean,
  ) {
    this.name = inventoryName(setId);
    this.id = applySetId({ name: this.name, namespace, kind: PARENT_KIND, group: PARENT_GROUP });
  }

  /** An inventory with no members, as for a set never applied. */
  static empty(setId: string, namespace = INVENTORY_NAMESPACE): Inventory {
    return new Inventory(setId, namespace, new Map(), new Set(), false);
  }

  /** Reads the inventory of a set; an absent parent is an empty inventory, any other failure throws. */
  static async read(api: KubeApi, setId: string, namespace = INVENTORY_NAMESPACE): Promise<Inventory> {
    const path = `/api/v1/namespaces/${namespace}/configmaps/${inventoryName(setId)}`;
    try {
      return Inventory.fromConfigMap(setId, namespace, (await api.request<ConfigMap>({ verb: 'get', method: 'GET', path })).body);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return Inventory.empty(setId, namespace);
      throw error;
    }
  }

  /**
   * Reads the inventories of many sets with one list of the inventory namespace; absent parents are
   * empty inventories, any failure throws.
   */
  static async readAll(api: KubeApi, setIds: string[], namespace = INVENTORY_NAMESPACE): Promise<Map<string, Inventory>> {
    const out = new Map<string, Inventory>();
    if (setIds.length === 1) {
      out.set(setIds[0], await Inventory.read(api, setIds[0], namespace));
      return out;
    }
    const byName = new Map<string, ConfigMap>();
    let token: string | undefined;
    do {
      const res = await api.request<{ items?: ConfigMap[]; metadata?: { continue?: string } }>({
        verb: 'list',
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        query: { limit: '500', continue: token },
      });
      for (const cm of res.body.items ?? []) if (cm.metadata?.name) byName.set(cm.metadata.name, cm);
      token = res.body.metadata?.continue || undefined;
    } while (token);
    for (const setId of setIds) {
      const cm = byName.get(inventoryName(setId));
      out.set(setId, cm ? Inventory.fromConfigMap(setId, namespace, cm) : Inventory.empty(setId, namespace));
    }
    return out;
  }

  /** Parses a parent ConfigMap, refusing one that is not the ApplySet parent of this set. */
  private static fromConfigMap(setId: string, namespace: string, cm: ConfigMap): Inventory {
    const inv = new Inventory(setId, namespace, new Map(), new Set(), true);
    if (cm.metadata?.labels?.[APPLYSET_ID_LABEL] !== inv.id) {
      throw new InventoryError(
        `ConfigMap ${namespace}/${inv.name} exists but is not the ApplySet parent of ${setId} (label ${APPLYSET_ID_LABEL} is not ${inv.id}); refusing to use it`,
      );
    }
    for (const gk of (cm.metadata?.annotations?.[GROUP_KINDS_ANNOTATION] ?? '').split(',')) if (gk) inv.groupKinds.add(gk);
    for (const line of (cm.data?.[OBJECTS_KEY] ?? '').split('\n')) {
      if (!line.trim()) continue;
      const [key, hash, uid, generation, resourceVersion, version, addon] = line.split(' ');
      const ref = parseRefKey(key);
      if (!ref) throw new InventoryError(`ConfigMap ${namespace}/${inv.name} has a malformed entry; refusing to use it`);
      inv.entries.set(key, {
        ref,
        hash: dash(hash),
        uid: dash(uid),
        generation: dash(generation) === undefined ? undefined : Number(generation),
        resourceVersion: dash(resourceVersion),
        version: dash(version),
        ...(dash(addon) === undefined ? {} : { addon }),
      });
    }
    return inv;
  }

  /**
   * Writes the parent with the given members (server-side apply, field manager `fieldManager`),
   * creating the inventory namespace when it is missing. Returns the inventory as written.
   */
  async write(api: KubeApi, entries: Iterable<InventoryEntry>, fieldManager: string): Promise<Inventory> {
    const map = new Map<string, InventoryEntry>();
    for (const e of entries) map.set(refKey(e.ref), e);
    const keys = [...map.keys()].sort();
    const groupKinds = [...new Set(keys.map((k) => groupKindOf(map.get(k)!.ref)))].sort();
    const namespaces = [...new Set(keys.map((k) => map.get(k)!.ref.namespace))].filter((n) => n && n !== this.namespace).sort();
    const objects = keys
      .map((k) => {
        const e = map.get(k)!;
        return [k, e.hash ?? '-', e.uid ?? '-', e.generation ?? '-', e.resourceVersion ?? '-', e.version ?? '-', ...(e.addon ? [e.addon] : [])].join(' ');
      })
      .join('\n');
    if (Buffer.byteLength(objects) > MAX_OBJECTS_BYTES) {
      throw new InventoryError(`the inventory of ${this.setId} would exceed the size of a ConfigMap (${keys.length} objects); split the set`);
    }
    const parent = {
      apiVersion: 'v1',
      kind: PARENT_KIND,
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { [APPLYSET_ID_LABEL]: this.id },
        annotations: {
          [TOOLING_ANNOTATION]: TOOLING,
          [GROUP_KINDS_ANNOTATION]: groupKinds.join(','),
          [NAMESPACES_ANNOTATION]: namespaces.join(','),
        },
      },
      data: { [OBJECTS_KEY]: objects },
    };
    const request = {
      verb: 'apply' as const,
      method: 'PATCH' as const,
      path: `/api/v1/namespaces/${this.namespace}/configmaps/${this.name}`,
      query: { fieldManager, force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: parent,
    };
    try {
      await api.request(request);
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
      await api.request({
        verb: 'apply',
        method: 'PATCH',
        path: `/api/v1/namespaces/${this.namespace}`,
        query: { fieldManager, force: 'true' },
        contentType: 'application/apply-patch+yaml',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      });
      await api.request(request);
    }
    return new Inventory(this.setId, this.namespace, map, new Set(groupKinds), true);
  }

  /** Whether the given members are exactly what the inventory records. */
  sameAs(entries: Iterable<InventoryEntry>): boolean {
    let n = 0;
    for (const e of entries) {
      n++;
      const old = this.entries.get(refKey(e.ref));
      if (
        !old ||
        old.hash !== e.hash ||
        old.uid !== e.uid ||
        old.generation !== e.generation ||
        old.resourceVersion !== e.resourceVersion ||
        old.version !== e.version ||
        old.addon !== e.addon
      ) {
        return false;
      }
    }
    return n === this.entries.size;
  }
}

interface ConfigMap {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

function dash(value: string | undefined): string | undefined {
  return value === undefined || value === '-' ? undefined : value;
}
