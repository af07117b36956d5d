/**
 * The dashboard's copy of the fleet: one watch of the WorkloadClusters and one of their Events in
 * the management cluster (informers, so no request lists anything), each change told to the
 * listeners as a summary row or an event line.
 */
import { firstSeen, lastSeen, type KubeEvent } from '../model/kube-event.js';
import type { KubeClient } from '../kube/client.js';
import { Informer, objectKey, type WatchedObject } from '../kube/watch.js';
import { clusterSummary, type ListedCluster } from '../model/cluster-summary.js';
import type { ClusterEvent, FleetRow } from './fleet-wire.js';

/** A WorkloadCluster as watched. */
export type WatchedCluster = ListedCluster & WatchedObject & { metadata: ListedCluster['metadata'] & WatchedObject['metadata'] };

export type { ClusterEvent, FleetRow };

/** A change of the fleet. */
export type FleetChange = { type: 'upsert'; row: FleetRow } | { type: 'remove'; key: string } | { type: 'event'; event: ClusterEvent };

type WatchedEvent = KubeEvent & WatchedObject;

/** Most events kept per cluster (the newest). */
const EVENTS_PER_CLUSTER = 50;

/** A row of the fleet table from a watched WorkloadCluster. */
export function fleetRow(c: WatchedCluster): FleetRow {
  return { ...clusterSummary(c), resourceVersion: c.metadata.resourceVersion ?? '' };
}

function eventLine(e: WatchedEvent): ClusterEvent {
  const o = e.involvedObject;
  return {
    cluster: `${o?.namespace ?? e.metadata.namespace}/${o?.name ?? ''}`,
    name: e.metadata.name,
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.count ?? 1,
    firstTimestamp: firstSeen(e),
    lastTimestamp: lastSeen(e),
  };
}

const newestFirst = (a: ClusterEvent, b: ClusterEvent) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? '');

/** See the module comment. */
export class FleetView {
  private readonly clusters: Informer<WatchedCluster>;
  private readonly events: Informer<WatchedEvent>;
  private readonly listeners = new Set<(change: FleetChange) => void>();
  /** Resolves when both watches have their first list. */
  readonly hasSynced: Promise<void>;

  constructor(client: KubeClient, onError: (what: string, error: unknown) => void = () => undefined) {
    this.clusters = new Informer<WatchedCluster>({
      client,
      path: '/apis/clusterops.io/v1alpha1/workloadclusters',
      onEvent: (e) => this.tell(e.type === 'DELETED' ? { type: 'remove', key: objectKey(e.object) } : { type: 'upsert', row: fleetRow(e.object) }),
      onError: (error) => onError('WorkloadClusters', error),
    });
    this.events = new Informer<WatchedEvent>({
      client,
      path: '/api/v1/events',
      fieldSelector: 'involvedObject.kind=WorkloadCluster',
      onEvent: (e) => {
        if (e.type !== 'DELETED') this.tell({ type: 'event', event: eventLine(e.object) });
      },
      onError: (error) => onError('Events', error),
    });
    this.hasSynced = Promise.all([this.clusters.hasSynced, this.events.hasSynced]).then(() => undefined);
  }

  /** Starts both watches; returns at once. */
  start(): this {
    this.clusters.start();
    this.events.start();
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.clusters.stop(), this.events.stop()]);
  }

  /** Hears every change from now on; returns how to stop hearing. */
  subscribe(listener: (change: FleetChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every cluster's row. */
  rows(): FleetRow[] {
    return this.clusters.list().map(fleetRow);
  }

  /** One WorkloadCluster as last seen (without managedFields), or undefined. */
  cluster(namespace: string, name: string): WatchedCluster | undefined {
    const found = this.clusters.get(`${namespace}/${name}`);
    if (!found) return undefined;
    const { managedFields: _, ...metadata } = found.metadata as WatchedCluster['metadata'] & { managedFields?: unknown };
    return { ...found, metadata };
  }

  /** The newest events of one cluster: those attached to its uid (and, from older writers, to its name without a uid). */
  eventsOf(cluster: WatchedCluster): ClusterEvent[] {
    const uid = cluster.metadata.uid;
    const { namespace, name } = cluster.metadata;
    return this.events
      .list()
      .filter((e) => {
        const o = e.involvedObject;
        return o && (o.uid ? o.uid === uid : o.namespace === namespace && o.name === name);
      })
      .map(eventLine)
      .sort(newestFirst)
      .slice(0, EVENTS_PER_CLUSTER);
  }

  private tell(change: FleetChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
