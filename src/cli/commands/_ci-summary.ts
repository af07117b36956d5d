import type { ChangeSet, ChangeSetEntry } from '../../apply/change-set.js';
import type { Fleet } from '../../model/fleet.js';
import { formatProblem, type Problem } from '../../spec/problem.js';
import { CLUSTER_LABEL, type ManifestSet } from '../../model/manifest-set.js';
import type { StackRunReport, StackStep } from './_pulumi-stack.js';

/** How one check of `clusterops ci` went: its result, or why it did not run. */
export type CheckOutcome<T> = { ran: true; result: T } | { ran: false; note: string; failed?: boolean };

/** Everything `clusterops ci` found, ready to be written as Markdown. */
export interface CiFindings {
  clustersDir: string;
  fleet?: Fleet;
  problems: Problem[];
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
  const clusters = f.fleet.clusters.map((c) => `${c.stage}/${c.name}`);
  out.push(
    `| check | result |`,
    `| --- | --- |`,
    `| declarations | ${f.fleet.clusters.length} cluster(s) in ${f.fleet.stages.length} stage(s), all valid |`,
    `| management cluster diff | ${f.diff.ran ? `${counts(f.diff.result.changes.entries.map((e) => e.action))}${f.diff.result.changes.errors.length ? `, ${f.diff.result.changes.errors.length} error(s)` : ''}` : cell(f.diff.note)} |`,
    `| pulumi preview | ${f.preview.ran ? `stack \`${f.preview.result.stack}\`: ${counts(f.preview.result.steps.map((s) => s.op))}` : cell(f.preview.note)} |`,
    '',
  );
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
  for (const key of [...clusters, SHARED]) {
    const diffs = entries.get(key) ?? [];
    const planned = steps.get(key) ?? [];
    if (key === SHARED && !diffs.length && !planned.length) continue;
    const source = f.fleet.clusters.find((c) => `${c.stage}/${c.name}` === key)?.source.file;
    out.push(`## ${key}`, '');
    if (source) out.push(`Declared in \`${source}\`.`, '');
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
  if (f.diff.ran) {
    for (const e of f.diff.result.changes.errors) out.push(`- **diff error** in \`${e.set}\`: ${e.message}`);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
