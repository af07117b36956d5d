/**
 * The rows `clusterops get clusters` prints: the columns of src/model/cluster-summary.ts (shared with
 * the dashboard) as kubectl-style text. Pure, so it is unit-tested.
 */

import { age, byStageAndName, clusterSummary, type ListedCluster } from '../../model/cluster-summary.js';

export { age, type ListedCluster };

/** Column headers, in order; `wide` adds the message in full. */
export const HEADERS = ['STAGE', 'NAME', 'PROVIDER', 'VERSION', 'PHASE', 'READY', 'NODES', 'ADDONS', 'REVISION', 'AGE', 'MESSAGE'] as const;

/** One row per cluster, sorted by stage then name. */
export function clusterRows(items: ListedCluster[], now: number, wide = false): string[][] {
  const width = wide ? 10_000 : 60;
  return items
    .map(clusterSummary)
    .sort(byStageAndName)
    .map((c) => [
      c.stage,
      c.name,
      c.provider,
      c.version,
      c.phase,
      c.ready,
      c.nodes,
      c.addons,
      c.revision.slice(0, 7) || '-',
      age(c.created, now),
      c.message.length > width ? `${c.message.slice(0, width - 1)}…` : c.message,
    ]);
}

/** Rows as kubectl prints them: columns padded to their widest cell, three spaces apart, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [headers as string[], ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('   ').trimEnd()).join('\n') + '\n';
}
