/**
 * The one Server-Sent Events stream of the dashboard: on connect a `snapshot` of every row, then
 * `changes` messages of what moved (rows upserted or removed, new events), coalesced per flush so
 * that a commit touching 1,000 clusters is a few messages, not 1,000; a comment line keeps idle
 * connections open through proxies. A client that cannot keep up is dropped (it reconnects and
 * gets a fresh snapshot) instead of buffering without bound.
 */
import type http from 'node:http';
import type { FleetChange, FleetView } from './fleet-view.js';
import type { ClusterEvent, FleetChanges, FleetRow } from './fleet-wire.js';

/** How often changes are sent. */
const FLUSH_MS = 200;
/** How often an idle stream gets a keep-alive comment. */
const PING_MS = 20_000;
/** Bytes a client may have unread before it is dropped. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/** One `event:`/`data:` frame. */
export function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** See the module comment. */
export class FleetStream {
  private readonly clients = new Set<http.ServerResponse>();
  private pending = { upserts: new Map<string, FleetRow>(), removes: new Set<string>(), events: [] as ClusterEvent[] };
  private timer: NodeJS.Timeout | undefined;
  private readonly ping: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly view: FleetView) {
    this.unsubscribe = view.subscribe((change) => this.queue(change));
    this.ping = setInterval(() => this.broadcast(': ping\n\n'), PING_MS);
    this.ping.unref();
  }

  /** How many browsers are connected. */
  get size(): number {
    return this.clients.size;
  }

  /** Serves one stream: headers, the snapshot once the watches have listed, then changes until the client goes. */
  async attach(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    await this.view.hasSynced;
    if (res.destroyed) return;
    // Changes queued before this snapshot are in it; sending them again later is harmless (upserts).
    res.write(frame('snapshot', { clusters: this.view.rows() }));
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  /** Ends every stream and stops listening. */
  close(): void {
    clearInterval(this.ping);
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private queue(change: FleetChange): void {
    const p = this.pending;
    if (change.type === 'upsert') {
      p.removes.delete(change.row.key);
      p.upserts.set(change.row.key, change.row);
    } else if (change.type === 'remove') {
      p.upserts.delete(change.key);
      p.removes.add(change.key);
    } else p.events.push(change.event);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const p = this.pending;
    this.pending = { upserts: new Map(), removes: new Set(), events: [] };
    const changes: FleetChanges = { upserts: [...p.upserts.values()], removes: [...p.removes], events: p.events };
    this.broadcast(frame('changes', changes));
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BACKLOG_BYTES) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}
