import { randomBytes } from 'node:crypto';
import type { KubeApi } from '../kube/client.js';
import type { Logger } from 'pino';
import { WORKLOAD_CLUSTER_API_VERSION } from '../charts/workload-cluster-crd.js';
import type { Outcome } from '../model/outcome.js';

/**
 * Reasons of the events the reconciler records: the outcome vocabulary of src/model/outcome.ts
 * (what happened to objects), plus Recovered (a failing set applies again).
 */
export const EVENT_REASONS = {
  created: { type: 'Normal', reason: 'Created' },
  configured: { type: 'Normal', reason: 'Configured' },
  deleted: { type: 'Normal', reason: 'Deleted' },
  skipped: { type: 'Warning', reason: 'Skipped' },
  failed: { type: 'Warning', reason: 'Failed' },
  recovered: { type: 'Normal', reason: 'Recovered' },
} as const satisfies Record<Exclude<Outcome, 'unchanged'> | 'recovered', { type: string; reason: string }>;
export type EventKind = keyof typeof EVENT_REASONS;

/** The object an event is about. */
export interface EventSubject {
  apiVersion?: string;
  kind?: string;
  namespace: string;
  name: string;
  uid?: string;
}

/** How long a repeat of an event is counted on the first one instead of making a new one (the kubelet's window). */
const AGGREGATION_WINDOW_MS = 10 * 60_000;
/** Most events remembered for aggregation; the oldest are forgotten first. */
const MAX_REMEMBERED = 4096;

/**
 * Records core/v1 Events about WorkloadClusters (apply, prune, skip, drift, failure). Recording is
 * best effort: a failed write is logged, never thrown, so events never block a reconcile. Like the
 * kubelet's event correlator, the same event again (same object, type, reason and message) within
 * 10 minutes raises `count` and `lastTimestamp` of the first instead of adding one.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number; firstAt: number }>();

  constructor(
    private readonly api: KubeApi,
    private readonly logger: Logger,
    /** `source.component` and `reportingComponent` of every event. */
    private readonly component = 'clusterops-reconciler',
    private readonly instance = process.env.HOSTNAME ?? 'local',
  ) {}

  /** Records one event with a one-line message. */
  async record(subject: EventSubject, kind: EventKind, message: string): Promise<void> {
    const { type, reason } = EVENT_REASONS[kind];
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const text = message.slice(0, 1024);
    const key = JSON.stringify([subject.namespace, subject.kind ?? 'WorkloadCluster', subject.name, subject.uid ?? '', type, reason, text]);
    const seen = this.recent.get(key);
    if (seen && Date.now() - seen.firstAt < AGGREGATION_WINDOW_MS) {
      try {
        await this.api.request({
          verb: 'patch',
          method: 'PATCH',
          path: `/api/v1/namespaces/${encodeURIComponent(subject.namespace)}/events/${encodeURIComponent(seen.name)}`,
          contentType: 'application/merge-patch+json',
          body: { count: seen.count + 1, lastTimestamp: now },
        });
        seen.count++;
        return;
      } catch {
        // Gone (expired, deleted): record it anew.
        this.recent.delete(key);
      }
    }
    const name = `${subject.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: subject.namespace },
      involvedObject: {
        apiVersion: subject.apiVersion ?? WORKLOAD_CLUSTER_API_VERSION,
        kind: subject.kind ?? 'WorkloadCluster',
        namespace: subject.namespace,
        name: subject.name,
        ...(subject.uid ? { uid: subject.uid } : {}),
      },
      type,
      reason,
      message: text,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
    try {
      await this.api.request({ verb: 'create', method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(subject.namespace)}/events`, body: event });
      this.recent.delete(key);
      this.recent.set(key, { name, count: 1, firstAt: Date.now() });
      if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
    } catch (error) {
      this.logger.warn({ subject: `${subject.namespace}/${subject.name}`, reason, err: error instanceof Error ? error.message : String(error) }, 'could not record event');
    }
  }
}
