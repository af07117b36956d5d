/** The validated form of a stage folder's optional `stage.yaml` (kind `Stage`). */
export interface StagePolicy {
  /** Smallest control-plane replica count any cluster of the stage may declare. */
  minControlPlaneReplicas?: 1 | 3 | 5;
  /** Every cluster of the stage must have `deletionProtection: true`. */
  requireDeletionProtection?: boolean;
}

/** A kind by API group (`""` for the core group) and name, as an admission grant names it. */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * Kinds a stage admits beyond the reconciler's admission table (`spec.admission` of stage.yaml):
 * into the management cluster (always inside the stage namespace) and into its workload clusters.
 */
export interface StageAdmission {
  management: GroupKind[];
  workload: GroupKind[];
}

/** A stage: a folder of `clusters/`, with the defaults and policy of its `stage.yaml`. */
export interface Stage {
  name: string;
  /** Partial cluster spec merged under each cluster's own spec (the cluster's value wins). */
  defaults: Record<string, unknown>;
  policy: StagePolicy;
  /** Extra kinds the stage admits; @default none */
  admission?: StageAdmission;
  /** The stage.yaml file, when there is one. */
  file?: string;
}
