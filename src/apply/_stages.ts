import { applyRank as rankOfKind } from '../model/apply-order.js';
import type { ObjectRef } from './object-ref.js';

/** The apply stage of an object's kind, from the table in src/synth/order.ts: lower goes first, webhooks last. */
export function applyRank(ref: Pick<ObjectRef, 'kind'>): number {
  return rankOfKind(ref.kind);
}

/** Items grouped into stages by applyRank, in apply order (reverse it to delete). */
export function stagesOf<T>(items: T[], refOfItem: (item: T) => Pick<ObjectRef, 'kind'>): T[][] {
  const byRank = new Map<number, T[]>();
  for (const item of items) {
    const rank = applyRank(refOfItem(item));
    let stage = byRank.get(rank);
    if (!stage) byRank.set(rank, (stage = []));
    stage.push(item);
  }
  return [...byRank.keys()].sort((a, b) => a - b).map((rank) => byRank.get(rank)!);
}
