import type { Logger } from 'pino';

/** What a notification reports: something stopped working, or works again. */
export type NotificationEvent = 'failure' | 'recovery';

/** The JSON body POSTed to the notification URL. */
export interface Notification {
  event: NotificationEvent;
  /** What failed or recovered: a ManifestSet id, or `source` for fetching and synthesizing revisions. */
  subject: string;
  /** Step that failed (fetch, synth, apply, prune, addons); absent on recovery. */
  phase?: string;
  /** Commit involved (the one rejected, or the one applied on recovery). */
  revision?: string;
  /** One-paragraph reason, scrubbed of anything that looks like a credential. */
  message: string;
  /** RFC 3339 time the reconciler saw it. */
  time: string;
  /** Fixed marker so receivers can route it. */
  source: 'clusterops-reconciler';
}

/** Anything that takes failure and recovery notifications (a Notifier, or nothing). */
export interface NotificationSink {
  notify(notification: Omit<Notification, 'time' | 'source'>): void;
}

/** Settings of a Notifier. */
export interface NotifierOptions {
  /** http(s) URL receiving the POSTs; it may itself hold a token, so it is never logged in full. */
  url: string;
  logger: Logger;
  /** Attempts per notification. @default 4 */
  attempts?: number;
  /** First delay between attempts, doubled each time. @default 500 */
  baseDelayMs?: number;
  /** Time allowed for one attempt. @default 5000 */
  timeoutMs?: number;
  /** Notifications kept waiting at most; the oldest are dropped beyond. @default 100 */
  maxQueue?: number;
}

/** Patterns of credentials that could ride along in an error message, each with its replacement. */
const SCRUBBERS: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]+-----[\s\S]*?(?:-----END [A-Z ]+-----|$)/g, '[redacted key]'],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, '$1[redacted]@'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(token|password|passwd|secret|api[-_]?key|client[-_]?secret)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, '$1$2[redacted]'],
  [/\b(ghp|gho|ghs|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9_-]{10,}/g, '[redacted token]'],
  [/[A-Za-z0-9+/]{64,}={0,2}/g, '[redacted blob]'],
];

/** Removes anything that looks like a credential (keys, URL passwords, tokens, long base64) from a text. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

/** Where a URL points, without path, query or credentials (for logs). */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Sends failure and recovery notifications as JSON POSTs, one at a time in order, each retried
 * with exponential backoff a bounded number of times; never blocks the reconcile loop, never
 * throws, and never sends or logs a credential.
 */
export class Notifier implements NotificationSink {
  private readonly queue: Notification[] = [];
  private draining: Promise<void> | undefined;
  private stopped = false;
  /** Notifications delivered, and given up on, since start (for tests and metrics). */
  readonly stats = { delivered: 0, dropped: 0 };

  constructor(private readonly o: NotifierOptions) {
    const url = new URL(o.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`notification URL must be http(s), not ${url.protocol}`);
  }

  /** Queues a notification; delivery happens in the background. */
  notify(n: Omit<Notification, 'time' | 'source'>): void {
    if (this.stopped) return;
    const message = scrubSecrets(n.message).slice(0, 2000);
    this.queue.push({ ...n, message, time: new Date().toISOString(), source: 'clusterops-reconciler' });
    while (this.queue.length > (this.o.maxQueue ?? 100)) {
      this.queue.shift();
      this.stats.dropped++;
      this.o.logger.warn({ to: origin(this.o.url) }, 'notification queue full; dropped the oldest');
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Waits until every queued notification is delivered or given up on, at most `timeoutMs`. */
  async flush(timeoutMs = 10_000): Promise<void> {
    if (!this.draining) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.draining, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Delivers what is queued, then accepts no more. */
  async close(timeoutMs?: number): Promise<void> {
    await this.flush(timeoutMs);
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    for (let n = this.queue.shift(); n; n = this.queue.shift()) await this.deliver(n);
  }

  private async deliver(n: Notification): Promise<void> {
    const attempts = Math.max(1, this.o.attempts ?? 4);
    const body = JSON.stringify(n);
    let why = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'clusterops-reconciler' },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 5_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.delivered++;
          return;
        }
        why = `HTTP ${res.status}`;
        // A refusal other than throttling will not change on retry.
        if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
      } catch (error) {
        why = error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : (error.cause as { code?: string } | undefined)?.code ?? error.message) : String(error);
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (this.o.baseDelayMs ?? 500) * 2 ** (attempt - 1)));
    }
    this.stats.dropped++;
    this.o.logger.warn({ to: origin(this.o.url), event: n.event, subject: n.subject, why }, 'notification not delivered');
  }
}
