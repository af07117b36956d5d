/**
 * A rebuild holds the management cluster (src/model/rebuild-lease.ts): while its Lease is held the
 * reconciler applies nothing, so the Clusters the rebuild applies paused are not applied unpaused
 * under it before their identities are checked; it takes over when the Lease is gone or ran out.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { KubeError, type KubeApi } from '../kube/client.js';
import { leaseHeld, processAlive, REBUILD_LEASE, type LeaseObject } from '../model/rebuild-lease.js';

const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${REBUILD_LEASE.namespace}/leases/${REBUILD_LEASE.name}`;

/** Reads the rebuild Lease before each pass and says who holds it. */
export class RebuildHold {
  private holder: string | undefined;
  private deniedLogged = false;

  constructor(
    private readonly api: KubeApi,
    private readonly logger: Logger,
  ) {}

  /** The holder of a held rebuild Lease, else undefined; logs when a rebuild begins and ends holding it. */
  async heldBy(): Promise<string | undefined> {
    let lease: LeaseObject | undefined;
    try {
      lease = (await this.api.request<LeaseObject>({ verb: 'get', method: 'GET', path: LEASE_PATH })).body;
    } catch (error) {
      if (!(error instanceof KubeError) || (error.status !== 404 && error.status !== 403)) throw error;
      if (error.status === 403 && !this.deniedLogged) {
        this.deniedLogged = true;
        this.logger.warn({ lease: `${REBUILD_LEASE.namespace}/${REBUILD_LEASE.name}` }, 'cannot read the rebuild Lease (forbidden): a rebuild running now would not hold this reconciler back');
      }
    }
    const holder = lease && leaseHeld(lease, Date.now(), hostname(), processAlive) ? (lease.spec?.holderIdentity ?? 'unknown') : undefined;
    if (holder && holder !== this.holder) this.logger.info({ holder }, 'a rebuild holds this management cluster: applying nothing until it ends');
    if (!holder && this.holder) this.logger.info({ holder: this.holder }, 'the rebuild ended: reconciling again');
    this.holder = holder;
    return holder;
  }
}
