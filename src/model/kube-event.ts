/** The part of a core/v1 Event about a WorkloadCluster that the CLI and the dashboard read. */
export interface KubeEvent {
  metadata: { namespace: string; name: string; creationTimestamp?: string };
  involvedObject: { kind?: string; name: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/** When an event was last seen: lastTimestamp, else eventTime (events.k8s.io writers), else its creation. */
export function lastSeen(e: KubeEvent): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
}

/** When an event was first seen, by the same fallbacks. */
export function firstSeen(e: KubeEvent): string | undefined {
  return e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
}
