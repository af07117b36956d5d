/**
 * One rebuild at a time per management cluster: a coordination.k8s.io Lease `clusterops-rebuild` in
 * kube-system, taken by create (the API server admits exactly one), renewed while the rebuild runs
 * and deleted at its end. A holder that stopped renewing (killed half-way) loses it once its lease
 * has run out; a holder on this host whose process is gone loses it at once, so a rebuild run again
 * after a SIGKILL does not wait.
 */
import { hostname } from 'node:os';
import { KubeError, type KubeApi } from '../kube/client.js';
import { leaseHeld, processAlive, REBUILD_LEASE, REBUILD_LEASE_SECONDS, type LeaseObject } from '../model/rebuild-lease.js';

/** Another rebuild holds the lock; the message names it. */
export class RebuildLockedError extends Error {
  override name = 'RebuildLockedError';
}

/** A held lock. */
export interface RebuildLock {
  readonly holder: string;
  /** True once a renewal found the Lease taken over (409) or renewals failed for longer than its duration. */
  readonly lost: boolean;
  /** Stops renewing and deletes the Lease (only while it is still ours). */
  release(): Promise<void>;
}

/** `host/pid` of this process, the holder identity written into the Lease. */
export function holderIdentity(pid = process.pid, host = hostname()): string {
  return `${host}/${pid}`;
}

/** A Lease timestamp (MicroTime: RFC 3339 with microseconds). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const leasePath = (name?: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${REBUILD_LEASE.namespace}/leases${name ? `/${name}` : ''}`;

/** Takes the lock, or throws RebuildLockedError naming the holder and since when. */
export async function acquireRebuildLock(api: KubeApi, options: { renewMs?: number; holder?: string } = {}): Promise<RebuildLock> {
  const holder = options.holder ?? holderIdentity();
  const now = Date.now();
  const body = (resourceVersion?: string): LeaseObject & { apiVersion: string; kind: string } => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: REBUILD_LEASE.name, namespace: REBUILD_LEASE.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { holderIdentity: holder, leaseDurationSeconds: REBUILD_LEASE_SECONDS, acquireTime: microTime(now), renewTime: microTime(now) },
  });
  let lease: LeaseObject;
  try {
    lease = (await api.request<LeaseObject>({ verb: 'create', method: 'POST', path: leasePath(), body: body() })).body;
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
    const existing = (await api.request<LeaseObject>({ verb: 'get', method: 'GET', path: leasePath(REBUILD_LEASE.name) })).body;
    if (leaseHeld(existing, Date.now(), hostname(), processAlive)) {
      throw new RebuildLockedError(
        `another rebuild is running: Lease ${REBUILD_LEASE.namespace}/${REBUILD_LEASE.name} is held by ${existing.spec?.holderIdentity} ` +
          `(since ${existing.spec?.acquireTime}, renewed ${existing.spec?.renewTime}); wait for it, or for the lease to run out`,
      );
    }
    try {
      // Guarded by the resourceVersion read: of two rebuilds taking over a stale lock, one wins.
      lease = (await api.request<LeaseObject>({ verb: 'update', method: 'PUT', path: leasePath(REBUILD_LEASE.name), body: body(existing.metadata.resourceVersion) })).body;
    } catch (takeover) {
      if (takeover instanceof KubeError && takeover.status === 409) throw new RebuildLockedError('another rebuild took the lock at the same moment');
      throw takeover;
    }
  }
  let current = lease;
  let lost = false;
  let renewedAt = Date.now();
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = api
      .request<LeaseObject>({ verb: 'update', method: 'PUT', path: leasePath(REBUILD_LEASE.name), body: { ...current, spec: { ...current.spec, renewTime: microTime(Date.now()) } } })
      .then(
        (r) => {
          current = r.body;
          renewedAt = Date.now();
        },
        (error: unknown) => {
          if ((error instanceof KubeError && (error.status === 409 || error.status === 404)) || Date.now() - renewedAt > REBUILD_LEASE_SECONDS * 1000) lost = true;
        },
      );
  }, options.renewMs ?? 10_000);
  timer.unref();
  return {
    holder,
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      await renewing;
      try {
        await api.request({ verb: 'delete', method: 'DELETE', path: leasePath(REBUILD_LEASE.name), body: { preconditions: { resourceVersion: current.metadata.resourceVersion } } });
      } catch (error) {
        if (!(error instanceof KubeError && (error.status === 404 || error.status === 409))) throw error;
      }
    },
  };
}
