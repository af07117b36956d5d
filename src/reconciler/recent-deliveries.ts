import type { IncomingHttpHeaders } from 'node:http';
import type { WebhookStyle } from './webhook.js';

/** The header each git host names a delivery by; a redelivery or retry carries the same value. */
export const DELIVERY_HEADERS: Readonly<Record<WebhookStyle, string>> = {
  github: 'x-github-delivery',
  gitlab: 'idempotency-key',
};

/** Longest delivery id kept; host ids are UUIDs, anything longer is not one. */
const MAX_ID_LENGTH = 128;

/** The delivery id of a verified request, by the header of its style; undefined when absent or not plausible. */
export function deliveryId(style: WebhookStyle, headers: IncomingHttpHeaders): string | undefined {
  const value = headers[DELIVERY_HEADERS[style]];
  const id = (Array.isArray(value) ? value[0] : value)?.trim();
  return id && id.length <= MAX_ID_LENGTH ? id : undefined;
}

/**
 * The delivery ids seen last, at most `capacity` of them (least recently seen forgotten first), so
 * a replayed or retried push schedules its fetch only once.
 */
export class RecentDeliveries {
  private readonly ids = new Map<string, true>();

  constructor(private readonly capacity = 1024) {}

  /** Records `key` and says whether it was seen before (then it counts as seen just now). */
  seen(key: string): boolean {
    const before = this.ids.delete(key);
    this.ids.set(key, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
    return before;
  }

  get size(): number {
    return this.ids.size;
  }
}
