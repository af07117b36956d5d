// The browser's copy of the fleet, fed by the one stream (/api/stream): a snapshot, then changes.
// Components subscribe; each message of the stream is one notification, however many rows it moved.
import type { ClusterEvent, FleetChanges, FleetRow, FleetSnapshot } from '../fleet-wire.js';

/** Whether the stream is up. */
export type Connection = 'connecting' | 'live' | 'reconnecting';

/** See the file comment. */
export class FleetStore {
  rows = new Map<string, FleetRow>();
  /** Raised on every change, so components can tell a new state by a number. */
  version = 0;
  connection: Connection = 'connecting';
  /** Whether the first snapshot has arrived. */
  loaded = false;
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(events: ClusterEvent[]) => void>();

  /** Opens the stream (EventSource reconnects by itself; a refused one means the login is gone). */
  connect(url = '/api/stream'): void {
    const source = new EventSource(url);
    source.addEventListener('snapshot', (m) => {
      const snapshot = JSON.parse((m as MessageEvent<string>).data) as FleetSnapshot;
      this.rows = new Map(snapshot.clusters.map((r) => [r.key, r]));
      this.loaded = true;
      this.connection = 'live';
      this.changed();
    });
    source.addEventListener('changes', (m) => {
      const changes = JSON.parse((m as MessageEvent<string>).data) as FleetChanges;
      if (changes.upserts.length || changes.removes.length) {
        const rows = new Map(this.rows);
        for (const key of changes.removes) rows.delete(key);
        for (const row of changes.upserts) rows.set(row.key, row);
        this.rows = rows;
        this.changed();
      }
      if (changes.events.length) for (const l of this.eventListeners) l(changes.events);
    });
    source.addEventListener('error', () => {
      this.connection = 'reconnecting';
      this.changed();
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream: ask whether the login ended, else try again shortly.
        fetch('/api/fleet', { method: 'HEAD' })
          .then((r) => (r.status === 401 ? location.assign('/login') : setTimeout(() => this.connect(url), 2000)))
          .catch(() => setTimeout(() => this.connect(url), 2000));
      }
    });
  }

  /** Hears every change of the rows; returns how to stop. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hears every new event of any cluster; returns how to stop. */
  onEvents(listener: (events: ClusterEvent[]) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}
