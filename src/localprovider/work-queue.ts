/**
 * A work queue of object keys, as controller-runtime has: a key waits once however often it is
 * added, is never handled by two workers at once (added while in hand, it runs again afterwards),
 * and a failed key comes back after an exponential backoff that success resets.
 */

/** What a reconcile asks for after it ran: nothing, or another look after a while. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** Options of a WorkQueue. */
export interface WorkQueueOptions {
  /** Keys handled at the same time. @default 2 */
  concurrency?: number;
  /** First delay after a failure, doubled on each further one. @default 500 */
  baseDelayMs?: number;
  /** Longest delay after failures. @default 60_000 */
  maxDelayMs?: number;
  /** Called with each failure (the key is retried by itself). */
  onError?(key: string, error: unknown, retryInMs: number): void;
}

/** Keys waiting for `handler`; see the module comment. */
export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private workers = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: (key: string) => Promise<ReconcileResult | void>,
    private readonly options: WorkQueueOptions = {},
  ) {}

  /** Queues `key` now. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Queues `key` after `ms` (an earlier timer for it is kept when it fires sooner). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key) as (NodeJS.Timeout & { due?: number }) | undefined;
    const due = Date.now() + ms;
    if (existing && (existing.due ?? Infinity) <= due) return;
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms) as NodeJS.Timeout & { due?: number };
    timer.due = due;
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Stops taking keys; resolves when no key is in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    if (this.active.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 2;
    while (!this.stopped && this.workers < limit && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      this.workers++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      const delay = Math.min(this.options.maxDelayMs ?? 60_000, (this.options.baseDelayMs ?? 500) * 2 ** (count - 1));
      this.options.onError?.(key, error, delay);
      this.addAfter(key, delay);
    } finally {
      this.active.delete(key);
      this.workers--;
      if (this.again.delete(key)) this.add(key);
      if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      this.pump();
    }
  }
}
