import { mapLimit } from './_pool.js';
import { objectHealth, type Health } from './health.js';

/** An object to wait for, by apiVersion, kind and name; any KubeObject fits. */
export interface WaitObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/**
 * Reads one object from the API server; resolves undefined when it does not exist. The signal is
 * aborted when the wait ends, so an HTTP request still in flight can be dropped.
 */
export type GetObject = (ref: WaitObject, signal: AbortSignal) => Promise<Record<string, unknown> | undefined>;

/** How long and how often to poll, and whom to tell. */
export interface WaitOptions {
  /** Overall deadline for every object to become Current. */
  timeoutMs: number;
  /** Pause between polling rounds. @default 2000 */
  intervalMs?: number;
  /** Objects read at once within a round. @default 8 */
  concurrency?: number;
  /** Called when an object's health differs from the last one seen (status or message), including the first reading. */
  onProgress?: (ref: WaitObject, health: Health) => void;
  /** Aborting stops the wait; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Why a wait ended: every object Current, one Failed, or the deadline passed. */
export type WaitOutcome = 'Current' | 'Failed' | 'Timeout';

/** The end of a wait: the last health seen for each object, in the order given. */
export interface WaitResult {
  ok: boolean;
  outcome: WaitOutcome;
  /** One line for logs and reports: the failed object, or every object that was not ready and why. */
  message: string;
  results: Array<{ ref: WaitObject; health: Health }>;
}

/** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object (as displayRef in object-ref.ts). */
export function waitObjectName(ref: WaitObject): string {
  const ns = ref.metadata.namespace;
  return ns ? `${ref.kind}/${ns}/${ref.metadata.name}` : `${ref.kind}/${ref.metadata.name}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
}

async function readHealth(ref: WaitObject, getObject: GetObject, signal: AbortSignal): Promise<Health> {
  try {
    const obj = await getObject(ref, signal);
    return obj ? objectHealth(obj) : { status: 'NotFound', message: 'object not found' };
  } catch (err) {
    return { status: 'Unknown', message: `read failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Settles with `work`, or resolves undefined as soon as `signal` aborts, leaving no listener behind. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Polls the objects until all are Current (ok), any is Failed (fails fast), or the timeout passes.
 * An object that reached Current is not read again. Read errors count as Unknown and are retried.
 */
export async function waitForHealthy(objects: WaitObject[], getObject: GetObject, opts: WaitOptions): Promise<WaitResult> {
  const { timeoutMs, intervalMs = 2000, concurrency = 8, onProgress, signal: outer } = opts;
  outer?.throwIfAborted();
  const started = Date.now();
  const deadline = started + timeoutMs;
  // One controller ends everything in flight: the caller's abort, the deadline, or our own return.
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const deadlineTimer = setTimeout(() => stop.abort(new Error('wait deadline')), Math.max(0, timeoutMs));

  const latest: Array<Health | undefined> = objects.map(() => undefined);
  const results = () =>
    objects.map((ref, i) => ({ ref, health: latest[i] ?? { status: 'Unknown' as const, message: 'not read before the deadline' } }));

  const poll = async (i: number) => {
    const health = await readHealth(objects[i], getObject, stop.signal);
    if (stop.signal.aborted) return; // a reading that lost the race with the deadline is not reported
    const before = latest[i];
    latest[i] = health;
    if (!before || before.status !== health.status || before.message !== health.message) onProgress?.(objects[i], health);
  };

  const timedOut = (): WaitResult => {
    const notReady = results().filter((r) => r.health.status !== 'Current');
    const list = notReady.map((r) => `${waitObjectName(r.ref)}: ${r.health.status}: ${r.health.message}`).join('; ');
    return {
      ok: false,
      outcome: 'Timeout',
      message: `timed out after ${formatMs(timeoutMs)} waiting for ${notReady.length} of ${objects.length} objects: ${list}`,
      results: results(),
    };
  };

  try {
    for (;;) {
      const pending = objects.map((_, i) => i).filter((i) => latest[i]?.status !== 'Current');
      // A getObject that hangs must not outlive the deadline, so the round ends early when `stop` aborts.
      await untilAborted(mapLimit(pending, concurrency, poll), stop.signal);
      if (outer?.aborted) throw outer.reason;

      const failed = objects.findIndex((_, i) => latest[i]?.status === 'Failed');
      if (failed >= 0) {
        const message = `${waitObjectName(objects[failed])} failed: ${latest[failed]!.message}`;
        return { ok: false, outcome: 'Failed', message, results: results() };
      }
      if (latest.every((h) => h?.status === 'Current')) {
        return { ok: true, outcome: 'Current', message: `${objects.length} objects are current`, results: results() };
      }
      if (stop.signal.aborted || Date.now() >= deadline) return timedOut();
      await sleep(Math.min(intervalMs, deadline - Date.now()), stop.signal);
      if (outer?.aborted) throw outer.reason;
      if (stop.signal.aborted) return timedOut();
    }
  } finally {
    clearTimeout(deadlineTimer);
    outer?.removeEventListener('abort', onOuterAbort);
    stop.abort(new Error('wait ended'));
  }
}
