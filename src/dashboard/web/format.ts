// Small formatting helpers of the dashboard's pages.
export { age } from '../../model/cluster-summary.js';

/** Where a message names a declaration file and line (`clusters/prod/web.yaml:8:3`). */
export const FILE_LINE = /((?:[\w.-]+\/)*[\w.-]+\.ya?ml):(\d+)(?::(\d+))?/g;

/** A phase's colour class. */
export function phaseClass(phase: string): string {
  if (phase === 'Ready') return 'ok';
  if (phase === 'Failed' || phase === 'Degraded' || phase === 'Unavailable') return 'bad';
  if (phase === 'Suspended' || phase === 'Removed' || phase === 'Deleting') return 'muted';
  return 'busy';
}

/** Phases that mean something is wrong, not merely not there yet. */
export const FAILING_PHASES = new Set(['Failed', 'Degraded', 'Unavailable']);

/** A short SHA. */
export const short = (revision: string | undefined) => (revision ? revision.slice(0, 7) : '-');

/** A timestamp as the browser's local time, or '-'. */
export function when(iso: string | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
