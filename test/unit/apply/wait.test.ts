import { describe, expect, it } from 'vitest';
import type { Health } from '../../../src/apply/health.js';
import { waitObjectName as refName, waitForHealthy, type GetObject, type WaitObject } from '../../../src/apply/wait.js';

type Version = Record<string, unknown> | undefined | Error;

/**
 * An in-memory stand-in for the API server whose objects change over time: the n-th read of an
 * object returns the n-th version of its script, and the last version from then on.
 */
function changingObjects(scripts: Record<string, Version[]>) {
  const reads: Record<string, number> = {};
  const signals: AbortSignal[] = [];
  const getObject: GetObject = async (ref, signal) => {
    signals.push(signal);
    const key = refName(ref);
    const script = scripts[key];
    if (!script) throw new Error(`test script has no ${key}`);
    const n = (reads[key] = (reads[key] ?? 0) + 1);
    const version = script[Math.min(n, script.length) - 1];
    if (version instanceof Error) throw version;
    return version && structuredClone(version);
  };
  return { getObject, reads, signals };
}

const web: WaitObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
const migrate: WaitObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'shop' } };
const ns: WaitObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };

const deployment = (updated: number, ready: number) => ({
  ...web,
  metadata: { ...web.metadata, generation: 2 },
  spec: { replicas: 3 },
  status: { observedGeneration: 2, replicas: 3, updatedReplicas: updated, readyReplicas: ready, availableReplicas: ready },
});
const namespace = { ...ns, status: { phase: 'Active' } };
const runningJob = { ...migrate, status: { active: 1 } };
const failedJob = {
  ...migrate,
  status: {
    failed: 3,
    conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
  },
};

describe('waitForHealthy', () => {
  it('resolves ok once every object is Current, reporting each change of health once', async () => {
    const api = changingObjects({
      [refName(web)]: [undefined, deployment(0, 0), deployment(0, 0), deployment(2, 1), deployment(3, 3)],
      [refName(ns)]: [namespace],
    });
    const seen: Array<[string, Health]> = [];
    const result = await waitForHealthy([web, ns], api.getObject, {
      timeoutMs: 5000,
      intervalMs: 5,
      onProgress: (ref, health) => seen.push([refName(ref), health]),
    });

    expect(result.ok).toBe(true);
    expect(result.outcome).toBe('Current');
    expect(result.results.map((r) => [refName(r.ref), r.health.status])).toEqual([
      ['Deployment/shop/web', 'Current'],
      ['Namespace/shop', 'Current'],
    ]);
    // the repeated deployment(0, 0) reading is not reported twice
    expect(seen).toEqual([
      ['Deployment/shop/web', { status: 'NotFound', message: 'object not found' }],
      ['Namespace/shop', { status: 'Current', message: 'Namespace is active' }],
      ['Deployment/shop/web', { status: 'InProgress', message: 'updated: 0/3' }],
      ['Deployment/shop/web', { status: 'InProgress', message: 'updated: 2/3' }],
      ['Deployment/shop/web', { status: 'Current', message: 'Deployment available: 3/3 replicas ready' }],
    ]);
    // a Current object is not read again
    expect(api.reads).toEqual({ 'Deployment/shop/web': 5, 'Namespace/shop': 1 });
  });

  it('fails fast on the first Failed object, long before the timeout', async () => {
    const api = changingObjects({
      [refName(web)]: [deployment(1, 1)],
      [refName(migrate)]: [runningJob, runningJob, failedJob],
    });
    const started = Date.now();
    const result = await waitForHealthy([web, migrate], api.getObject, { timeoutMs: 60_000, intervalMs: 5 });

    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({
      ok: false,
      outcome: 'Failed',
      message: 'Job/shop/migrate failed: Failed=True (BackoffLimitExceeded): Job has reached the specified backoff limit',
    });
    expect(result.results[0].health).toEqual({ status: 'InProgress', message: 'updated: 1/3' });
  });

  it('on timeout names every object that is not ready and why', async () => {
    const api = changingObjects({
      [refName(web)]: [deployment(1, 1)],
      [refName(ns)]: [namespace],
      [refName(migrate)]: [undefined],
    });
    const started = Date.now();
    const result = await waitForHealthy([web, ns, migrate], api.getObject, { timeoutMs: 150, intervalMs: 20 });
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
    expect(result.ok).toBe(false);
    expect(result.outcome).toBe('Timeout');
    expect(result.message).toBe(
      'timed out after 150ms waiting for 2 of 3 objects: ' +
        'Deployment/shop/web: InProgress: updated: 1/3; Job/shop/migrate: NotFound: object not found',
    );
    expect(api.reads[refName(web)]).toBeGreaterThan(2); // it kept polling until the deadline
  });

  it('keeps to the deadline when a read hangs, and aborts the read', async () => {
    const signals: AbortSignal[] = [];
    const hanging: GetObject = (_ref, signal) => {
      signals.push(signal);
      return new Promise(() => {});
    };
    const started = Date.now();
    const result = await waitForHealthy([web], hanging, { timeoutMs: 100, intervalMs: 10 });

    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.outcome).toBe('Timeout');
    expect(result.message).toBe('timed out after 100ms waiting for 1 of 1 objects: Deployment/shop/web: Unknown: not read before the deadline');
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('treats a failed read as Unknown and retries it', async () => {
    const api = changingObjects({ [refName(ns)]: [new Error('connect ECONNREFUSED 127.0.0.1:6443'), namespace] });
    const seen: Health[] = [];
    const result = await waitForHealthy([ns], api.getObject, { timeoutMs: 5000, intervalMs: 5, onProgress: (_r, h) => seen.push(h) });

    expect(result.ok).toBe(true);
    expect(seen.map((h) => h.status)).toEqual(['Unknown', 'Current']);
    expect(seen[0].message).toBe('read failed: connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('rejects with the reason when the caller aborts, and aborts the reads in flight', async () => {
    const api = changingObjects({ [refName(web)]: [deployment(0, 0)] });
    const controller = new AbortController();
    const waiting = waitForHealthy([web], api.getObject, {
      timeoutMs: 60_000,
      intervalMs: 10,
      signal: controller.signal,
      onProgress: () => setTimeout(() => controller.abort(new Error('reconciler shutting down')), 30),
    });

    await expect(waiting).rejects.toThrow('reconciler shutting down');
    expect(api.signals.every((s) => s.aborted)).toBe(true);
  });

  it('resolves ok at once for an empty list', async () => {
    const result = await waitForHealthy([], changingObjects({}).getObject, { timeoutMs: 0 });
    expect(result).toEqual({ ok: true, outcome: 'Current', message: '0 objects are current', results: [] });
  });
});
