import type { ChangeSet, ChangeSetEntry } from '../../apply/change-set.js';
import type { Fleet } from '../../model/fleet.js';
import { formatProblem, type Problem } from '../../spec/problem.js';
import { CLUSTER_LABEL, type ManifestSet } from '../../model/manifest-set.js';
import type { ObjectChange, RevisionDiff } from '../../model/revision-diff.js';
import type { BaseRevision } from './_base-revision.js';
import type { StackRunReport, StackStep } from '../../pulumi/stack-run.js';

/** How one check of `clusterops ci` went: its result, or why it did not run. */
export type CheckOutcome<T> = { ran: true; result: T } | { ran: false; note: string; failed?: boolean };

/** Everything `clusterops ci` found, ready to be written as Markdown. */
export interface CiFindings {
  clustersDir: string;
  fleet?: Fleet;
  problems: Problem[];
  /** Base revision against head, synthesized, object by object; no cluster needed. */
  offline: CheckOutcome<{ base: BaseRevision; diff: RevisionDiff }>;
  diff: CheckOutcome<{ changes: ChangeSet; sets: ManifestSet[] }>;
  preview: CheckOutcome<StackRunReport>;
}

const SHARED = 'management plane';

/** `<stage>/<cluster>` of each management-cluster object that belongs to one cluster. */
function objectOwners(sets: ManifestSet[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const set of sets) {
    for (const o of set.objects) {
      const cluster = o.metadata.labels?.[CLUSTER_LABEL];
      if (cluster && set.target.kind === 'management') {
        owners.set(`${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`, `${set.target.stage}/${cluster}`);
      }
    }
  }
  return owners;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function counts(actions: string[]): string {
  const n = new Map<string, number>();
  for (const a of actions) n.set(a, (n.get(a) ?? 0) + 1);
  return [...n].map(([a, c]) => `${c} ${a}`).join(', ') || 'nothing';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Longest value printed for one field; the rest is elided. */
const MAX_VALUE = 80;
/** Most fields listed for one changed object. */
const MAX_FIELDS = 12;

const value = (v: unknown) => {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
};

const objectName = (c: ObjectChange) => `${c.namespace ? `${c.namespace}/` : ''}${c.name}`;

/** The lines of one changed object: what it is, then each field `path: base → head`. */
function objectLines(c: ObjectChange): string[] {
  const head = `- ${c.action} ${c.kind} \`${objectName(c)}\`${c.touches.length ? ` (used by ${c.touches.join(', ')})` : ''}`;
  if (c.action !== 'changed') return [head];
  const fields = c.fields.slice(0, MAX_FIELDS).map((f) => `  - \`${f.path}\`: ${value(f.base)} → ${value(f.head)}`);
  if (c.fields.length > MAX_FIELDS) fields.push(`  - … and ${c.fields.length - MAX_FIELDS} more field(s)`);
  return [head, ...fields];
}

/** One line per check that did not run (nor fail), for the summary header. */
export function notChecked(f: CiFindings): string[] {
  const checks: [string, CheckOutcome<unknown>][] = [['offline diff', f.offline], ['management cluster diff', f.diff], ['pulumi preview', f.preview]];
  return checks.filter(([, c]) => !c.ran && !c.failed).map(([name, c]) => `${name} (${(c as { note: string }).note})`);
}

/** The Markdown one PR comment holds: a line per check, then one section per cluster (or per file, when invalid). */
export function formatCiSummary(f: CiFindings): string {
  const out: string[] = ['# clusterops CI summary', ''];
  if (!f.fleet) {
    out.push(`**Declarations: ${f.problems.length} problem(s) in \`${f.clustersDir}\`; nothing else was checked.**`, '');
    for (const [file, problems] of groupBy(f.problems, (p) => p.file)) {
      out.push(`## \`${file}\``, '', ...problems.map((p) => `- \`${formatProblem(p)}\``), '');
    }
    return out.join('\n');
  }
  const offline = f.offline.ran ? f.offline.result : undefined;
  const offlineChanges = offline?.diff.changes ?? [];
  const clusters = [
    ...new Set([
      ...f.fleet.clusters.map((c) => `${c.stage}/${c.name}`),
      ...offlineChanges.filter((c) => c.cluster).map((c) => `${c.stage}/${c.cluster}`),
    ]),
  ].sort();
  const skipped = notChecked(f);
  const failedChecks = [['offline diff', f.offline], ['management cluster diff', f.diff], ['pulumi preview', f.preview]]
    .filter(([, c]) => !(c as CheckOutcome<unknown>).ran && (c as { failed?: boolean }).failed)
    .map(([name]) => name as string);
  if (failedChecks.length) out.push(`**Failed:** ${failedChecks.join(', ')}.`, '');
  if (skipped.length) out.push(`**Not checked:** ${skipped.join('; ')}.`, '');
  const touched = new Set(offlineChanges.map((c) => (c.cluster ? `${c.stage}/${c.cluster}` : `stage ${c.stage}`)));
  const offlineCell = offline
    ? `base \`${offline.base.commit.slice(0, 12)}\` (${offline.base.ref}; ${offline.base.synthesizedWith}): ` +
      `${offlineChanges.length ? `${counts(offlineChanges.map((c) => c.action))} in ${touched.size} cluster(s)/stage(s)` : 'no changes'}`
    : cell((f.offline as { note: string }).note);
  out.push(
    `| check | result |`,
    `| --- | --- |`,
    `| declarations | ${f.fleet.clusters.length} cluster(s) in ${f.fleet.stages.length} stage(s), all valid |`,
    `| offline diff | ${offlineCell} |`,
    `| management cluster diff | ${f.diff.ran ? `${counts(f.diff.result.changes.entries.map((e) => e.action))}${f.diff.result.changes.errors.length ? `, ${f.diff.result.changes.errors.length} error(s)` : ''}` : cell(f.diff.note)} |`,
    `| pulumi preview | ${f.preview.ran ? `stack \`${f.preview.result.stack}\`: ${counts(f.preview.result.steps.map((s) => s.op))}` : cell(f.preview.note)} |`,
    '',
  );
  if (offline) {
    const stages = [...new Set([...offlineChanges.map((c) => c.stage), ...offline.base.changedStageFiles.map((p) => p.split('/')[0]!)])].sort();
    for (const stage of stages) {
      const own = offlineChanges.filter((c) => c.stage === stage && !c.cluster);
      const inStage = [...new Set(offlineChanges.filter((c) => c.stage === stage && c.cluster).map((c) => c.cluster!))].sort();
      const stageFile = offline.base.changedStageFiles.find((p) => p.startsWith(`${stage}/`));
      out.push(`## stage ${stage}`, '');
      out.push(`**Offline diff:** ${own.length ? counts(own.map((c) => c.action)) : 'no stage-level changes'}; clusters changed: ${inStage.join(', ') || 'none'}`, '');
      if (stageFile) out.push(`\`${stageFile}\` changed; its defaults and policy reach: ${inStage.join(', ') || 'no cluster'}.`, '');
      for (const c of own) out.push(...objectLines(c));
      if (own.length) out.push('');
    }
  }
  const owners = f.diff.ran ? objectOwners(f.diff.result.sets) : new Map<string, string>();
  const entries: Map<string, ChangeSetEntry[]> = f.diff.ran
    ? groupBy(f.diff.result.changes.entries, (e) => owners.get(`${e.kind}|${e.namespace}|${e.name}`) ?? SHARED)
    : new Map();
  const steps: Map<string, StackStep[]> = f.preview.ran
    ? groupBy(f.preview.result.steps, (s) => {
        const key = s.name.split('/').slice(0, 2).join('/');
        return clusters.includes(key) ? key : SHARED;
      })
    : new Map();
  const quiet: string[] = [];
  for (const key of [...clusters, SHARED]) {
    const diffs = entries.get(key) ?? [];
    const planned = steps.get(key) ?? [];
    if (key === SHARED && !diffs.length && !planned.length) continue;
    const hasNews =
      offlineChanges.some((c) => c.cluster && `${c.stage}/${c.cluster}` === key) ||
      diffs.some((e) => e.action !== 'unchanged') ||
      planned.some((s) => s.op !== 'same');
    // A cluster with nothing to report is one name in a list, so a PR comment stays short at 1,000 clusters.
    if (!hasNews && key !== SHARED) {
      quiet.push(key);
      continue;
    }
    const source = f.fleet.clusters.find((c) => `${c.stage}/${c.name}` === key)?.source.file;
    const offlineOwn = offlineChanges.filter((c) => c.cluster && `${c.stage}/${c.cluster}` === key);
    out.push(`## ${key}`, '');
    if (source) out.push(`Declared in \`${source}\`.`, '');
    else if (key !== SHARED) out.push('Removed from the declarations.', '');
    if (offline) {
      out.push(`**Offline diff:** ${offlineOwn.length ? counts(offlineOwn.map((c) => c.action)) : 'no changes'}`, '');
      for (const c of offlineOwn) out.push(...objectLines(c));
      if (offlineOwn.length) out.push('');
    }
    if (f.diff.ran) {
      const changed = diffs.filter((e) => e.action !== 'unchanged');
      out.push(`**Management cluster:** ${counts(diffs.map((e) => e.action))}`, '');
      for (const e of changed) out.push(`- ${e.action} ${e.kind} \`${e.namespace ? `${e.namespace}/` : ''}${e.name}\`${e.reason ? ` (${e.reason})` : ''}`);
      // A created object's diff is the whole object: too long for a PR comment, and the list above names it.
      const withDiff = changed.filter((e) => e.diff && e.action !== 'created');
      if (withDiff.length) {
        out.push('', '<details><summary>diff</summary>', '', '```diff', ...withDiff.map((e) => e.diff!.trimEnd()), '```', '', '</details>');
      }
      if (changed.length) out.push('');
    }
    if (f.preview.ran) {
      const changing = planned.filter((s) => s.op !== 'same');
      out.push(`**Pulumi:** ${counts(planned.map((s) => s.op))}`, '');
      for (const s of changing) out.push(`- ${s.op} ${s.type} \`${s.name}\``);
      if (changing.length) out.push('');
    }
  }
  if (quiet.length) {
    const checked = [offline && 'offline diff', f.diff.ran && 'management cluster diff', f.preview.ran && 'pulumi preview'].filter(Boolean);
    const shown = quiet.slice(0, 100).map((k) => `\`${k}\``).join(', ');
    out.push(
      `## ${quiet.length} cluster(s) without changes`,
      '',
      `${checked.length ? `Nothing to report by ${checked.join(', ')}` : 'No check ran'}: ${shown}${quiet.length > 100 ? `, … and ${quiet.length - 100} more` : ''}.`,
      '',
    );
  }
  if (f.diff.ran) {
    for (const e of f.diff.result.changes.errors) out.push(`- **diff error** in \`${e.set}\`: ${e.message}`);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
