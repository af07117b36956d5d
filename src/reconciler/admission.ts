/**
 * Admission of synthesized output: every object of every ManifestSet checked against the policy of
 * admission-policy.ts, by a table of rules per target. Pure: no I/O, the same for the reconciler and
 * the CLI. A revision is admitted whole or not at all.
 */
import type { KubeObject, ManifestSet } from '../model/manifest-set.js';
import { objectKindKey, type AdmissionPolicy, type AdmissionTable, type AdmissionTarget, type StageRules } from './admission-policy.js';

/** One object (or a whole set) the policy refuses, and every reason why. */
export interface AdmissionViolation {
  /** The ManifestSet id. */
  set: string;
  /** The refused object; absent when the set itself is refused. */
  object?: { apiVersion: string; kind: string; namespace?: string; name: string };
  reasons: string[];
}

/** The outcome of `admit`: admitted when there is no violation. */
export interface AdmissionVerdict {
  admitted: boolean;
  violations: AdmissionViolation[];
}

/** What a rule sees besides the object. */
interface RuleContext {
  stage: string;
  rules: StageRules;
  table: AdmissionTable;
  /** Keys of the kinds no stage can admit into the management cluster. */
  never: ReadonlySet<string>;
}

/** A rule: why the object may not be applied, or undefined when this rule has nothing against it. */
type ObjectRule = (object: KubeObject, at: RuleContext) => string | undefined;

const isStageNamespaceKind = (o: KubeObject) => o.kind === 'Namespace' && o.apiVersion === 'v1';
/** The namespace an object writes into: its own, or, for a Namespace, the one it creates. */
const namespaceWritten = (o: KubeObject) => (isStageNamespaceKind(o) ? o.metadata.name : o.metadata.namespace);

const RULES: Readonly<Record<AdmissionTarget, readonly ObjectRule[]>> = {
  management: [
    (o, at) => {
      if (at.rules.management.has(objectKindKey(o))) return undefined;
      return at.never.has(objectKindKey(o)) ? 'kind not allowed in the management cluster (cluster-wide; no stage.yaml can admit it there)' : 'kind not allowed in the management cluster';
    },
    (o, at) => (isStageNamespaceKind(o) && o.metadata.name !== at.stage ? `Namespace ${clip(o.metadata.name)} is not stage ${at.stage}'s namespace` : undefined),
    (o, at) =>
      isStageNamespaceKind(o) || o.metadata.namespace === at.stage
        ? undefined
        : o.metadata.namespace === undefined
          ? `no namespace: in the management cluster it must be in namespace ${at.stage}`
          : `namespace ${clip(o.metadata.namespace)} is not stage ${at.stage}'s`,
    (o, at) => reserved(namespaceWritten(o), at.table.reservedNamespaces.management),
  ],
  workload: [
    (o, at) => (at.rules.workload.has(objectKindKey(o)) ? undefined : 'kind not allowed in workload clusters'),
    (o, at) => reserved(namespaceWritten(o), at.table.reservedNamespaces.workload),
  ],
};

function reserved(namespace: string | undefined, list: readonly string[]): string | undefined {
  return namespace !== undefined && list.includes(namespace) ? `namespace ${namespace} is reserved; no revision writes there` : undefined;
}

/** Checks every object of `sets` against `policy`; the revision is admitted only when nothing is refused. */
export function admit(sets: readonly ManifestSet[], policy: AdmissionPolicy): AdmissionVerdict {
  const violations: AdmissionViolation[] = [];
  for (const set of sets) {
    const stage = set.target.stage;
    const rules = policy.stages.get(stage);
    if (!rules) {
      violations.push({ set: set.id, reasons: [`stage ${clip(stage)} is not a folder of clusters/`] });
      continue;
    }
    const at: RuleContext = { stage, rules, table: policy.table, never: policy.neverInManagement };
    for (const object of set.objects) {
      const reasons = RULES[set.target.kind].map((rule) => rule(object, at)).filter((r): r is string => r !== undefined);
      if (reasons.length === 0) continue;
      const { apiVersion, kind, metadata } = object;
      violations.push({ set: set.id, object: { apiVersion, kind, name: metadata.name, ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}) }, reasons });
    }
  }
  return { admitted: violations.length === 0, violations };
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), each part cut to a readable length. */
export function violationSubject(v: AdmissionViolation): string {
  if (!v.object) return `set ${clip(v.set)}`;
  const { kind, namespace, name } = v.object;
  return `${clip(kind)} ${namespace !== undefined ? `${clip(namespace)}/` : ''}${clip(name)}`;
}

/** One line per refused object: `set: apiVersion Kind namespace/name: reason; reason`. */
export function formatViolation(v: AdmissionViolation): string {
  const version = v.object ? `${clip(v.object.apiVersion)} ` : '';
  return `${clip(v.set)}: ${version}${violationSubject(v)}: ${v.reasons.join('; ')}`;
}

/** Most objects a refusal names one by one; the rest are counted. */
const MAX_LISTED = 20;

/**
 * The message of a refusal: a first line that names the refused objects (what an Event shows), then
 * one line per object with its set and reasons.
 */
export function refusalMessage(violations: readonly AdmissionViolation[]): string {
  const n = violations.length;
  const shown = violations.slice(0, MAX_LISTED);
  const more = n > shown.length ? ` and ${n - shown.length} more` : '';
  const head = `admission refused ${n} object${n === 1 ? '' : 's'}, nothing of this revision is applied: ${shown.map(violationSubject).join(', ')}${more}`;
  return [head, ...shown.map((v) => `  ${formatViolation(v)}`), ...(more ? [`  …${more}`] : [])].join('\n');
}

/** Names and kinds come from a revision's own output: never more than this many characters of one. */
function clip(text: string, max = 80): string {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
