/**
 * The order objects are applied in (and, reversed, pruned in): a table of kinds, so adding a kind
 * is one entry. Definitions and containers first (CRDs, Namespaces), then what others refer to
 * (accounts, roles, config, `*Template`, `*Class`), then workloads, then Cluster API Clusters, and
 * admission webhooks last so that they cannot block the objects they would check.
 */
import type { KubeObject } from './manifest-set.js';

/**
 * Kinds in apply order: each entry is one rank, lowest first. A name starting with `*` matches every
 * kind ending in the rest (`*Class` matches ClusterClass and PriorityClass); exact names win over
 * patterns, and earlier patterns over later ones. The empty entry is the rank of every other kind.
 */
export const APPLY_ORDER: ReadonlyArray<readonly string[]> = [
  ['CustomResourceDefinition'],
  ['Namespace'],
  ['ResourceQuota', 'LimitRange'],
  ['ServiceAccount'],
  ['ClusterRole', 'Role'],
  ['ClusterRoleBinding', 'RoleBinding'],
  ['ConfigMap', 'Secret'],
  ['*Template'],
  ['*Class'],
  [],
  ['Cluster'],
  ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
];

const exactRank = new Map<string, number>();
const patternRanks: Array<{ suffix: string; rank: number }> = [];
let defaultRank = APPLY_ORDER.length;
APPLY_ORDER.forEach((kinds, rank) => {
  if (kinds.length === 0) defaultRank = rank;
  for (const kind of kinds) {
    if (kind.startsWith('*')) patternRanks.push({ suffix: kind.slice(1), rank });
    else exactRank.set(kind, rank);
  }
});

/** The rank of `kind` in APPLY_ORDER: objects of lower rank are applied first. */
export function applyRank(kind: string): number {
  const exact = exactRank.get(kind);
  if (exact !== undefined) return exact;
  return patternRanks.find((pattern) => kind.endsWith(pattern.suffix))?.rank ?? defaultRank;
}

/** Compares strings by UTF-16 code units, the same on every machine and locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders objects for apply: by rank of kind, then namespace (cluster-scoped first), then name, then
 * kind and apiVersion so that the order is total.
 */
export function compareForApply(a: KubeObject, b: KubeObject): number {
  return (
    applyRank(a.kind) - applyRank(b.kind) ||
    compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareStrings(a.metadata.name, b.metadata.name) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.apiVersion, b.apiVersion)
  );
}

/** A sorted copy of `objects`, in apply order. */
export function sortForApply(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort(compareForApply);
}
