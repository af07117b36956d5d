/**
 * One object a suspended cluster would see change if it were resumed, as the WorkloadCluster's
 * `status.waitingChanges` lists it (written by the reconciler, read by `describe` and the dashboard).
 */
export interface WaitingChange {
  action: 'created' | 'changed' | 'deleted';
  kind: string;
  name: string;
  namespace?: string;
  /** `management` (in the management cluster) or `addons` (in the workload cluster). */
  where: 'management' | 'addons';
  /** For `changed`: the first fields that differ, with their values as short text (`(hidden)` for a secret). */
  fields?: Array<{ path: string; from?: string; to?: string }>;
  /** Fields that differ beyond those listed. */
  moreFields?: number;
}
