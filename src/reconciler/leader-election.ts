import { KubeError, type KubeApi } from '../kube/client.js';
import type { Logger } from 'pino';

/** Timing and identity of a LeaderElector. */
export interface LeaderElectionOptions {
  /** Namespace of the Lease; created when missing. */
  namespace: string;
  /** @default `clusterops-reconciler` */
  name?: string;
  /** This replica's name in the Lease (e.g. the pod name plus a random suffix). */
  identity: string;
  /** How long a lease holds without renewal. @default 15000 */
  leaseDurationMs?: number;
  /** How often the leader renews. @default 5000 */
  renewPeriodMs?: number;
  /** A leader that could not renew for this long steps down (less than the lease duration). @default 10000 */
  renewDeadlineMs?: number;
  /** How often a follower tries to acquire. @default 2000 */
  retryPeriodMs?: number;
  logger: Logger;
  /** Called when this replica becomes leader; the signal aborts when it stops being leader. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called when this replica stops being leader (lost lease, failed renewals or stop()). */
  onStoppedLeading?: () => void;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** A Lease time: RFC 3339 with microseconds, as metav1.MicroTime is written. */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the leader renews the
 * Lease every renew period; a follower takes the Lease over when the holder released it or when
 * it saw no renewal for a whole lease duration (measured on its own clock, so clock skew between
 * replicas does not matter). Every write is conditional on the resourceVersion read, so two
 * replicas never both believe they hold it.
 */
export class LeaderElector {
  private readonly name: string;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly deadlineMs: number;
  private readonly retryMs: number;
  private leading: AbortController | undefined;
  private lastRenew = 0;
  private observed: { key: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly options: LeaderElectionOptions,
  ) {
    this.name = options.name ?? 'clusterops-reconciler';
    this.leaseMs = options.leaseDurationMs ?? 15_000;
    this.renewMs = options.renewPeriodMs ?? 5_000;
    this.deadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
  }

  /** Whether this replica holds the lease now. */
  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Starts trying to acquire (and then renewing) the lease. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops; a leader steps down and releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      this.stepDown('stopping');
      await this.release().catch((error: unknown) =>
        this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not release the leader lease'),
      );
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.loop = this.tick().finally(() => this.schedule(this.leading ? this.renewMs : this.retryMs));
    }, ms);
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases/${this.name}`;
  }

  private async tick(): Promise<void> {
    try {
      const held = await this.tryAcquireOrRenew();
      if (held) {
        this.lastRenew = Date.now();
        if (!this.leading && !this.stopped) {
          this.leading = new AbortController();
          this.options.logger.info({ identity: this.options.identity, lease: this.name }, 'became leader');
          this.options.onStartedLeading(this.leading.signal);
        }
      } else if (this.leading) {
        this.stepDown('another replica holds the lease');
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.leading && Date.now() - this.lastRenew > this.deadlineMs) this.stepDown(`could not renew the lease: ${message}`);
      else this.options.logger.warn({ err: message }, 'leader election request failed');
    }
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    const leading = this.leading;
    this.leading = undefined;
    this.options.logger.warn({ identity: this.options.identity, reason }, 'stopped leading');
    leading.abort(new Error(`no longer leader: ${reason}`));
    this.options.onStoppedLeading?.();
  }

  /** One attempt: create, renew or take over the lease. Resolves whether this replica holds it. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: Lease | undefined;
    try {
      lease = (await this.api.request<Lease>({ verb: 'get', method: 'GET', path: this.path })).body;
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
    }
    const me = this.options.identity;
    const spec = {
      holderIdentity: me,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      await this.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.options.namespace }, spec });
      return true;
    }
    const holder = lease.spec.holderIdentity ?? '';
    const key = `${holder}|${lease.spec.renewTime ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
    const durationMs = (lease.spec.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
    if (holder !== '' && holder !== me && Date.now() - this.observed.at < durationMs) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        acquireTime: holder === me ? (lease.spec.acquireTime ?? spec.acquireTime) : spec.acquireTime,
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (holder === me ? 0 : 1),
      },
    };
    try {
      await this.api.request({ verb: 'update', method: 'PUT', path: this.path, body: next });
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) return false;
      throw error;
    }
    return true;
  }

  private async create(lease: Lease): Promise<void> {
    const collection = `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
    try {
      await this.api.request({ verb: 'create', method: 'POST', path: collection, body: lease });
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
      await this.api.request({
        verb: 'apply',
        method: 'PATCH',
        path: `/api/v1/namespaces/${this.options.namespace}`,
        query: { fieldManager: 'clusterops' },
        contentType: 'application/apply-patch+yaml',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.options.namespace } },
      });
      await this.api.request({ verb: 'create', method: 'POST', path: collection, body: lease });
    }
  }

  /** Gives the lease up (only when this replica still holds it), so a follower acquires it on its next try. */
  private async release(): Promise<void> {
    const lease = (await this.api.request<Lease>({ verb: 'get', method: 'GET', path: this.path })).body;
    if (lease.spec.holderIdentity !== this.options.identity) return;
    const released: Lease = { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime() } };
    await this.api.request({ verb: 'update', method: 'PUT', path: this.path, body: released });
  }
}
