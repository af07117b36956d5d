import { displayRef, type ObjectRef } from './object-ref.js';

import { ACTIONS, type Action } from '../model/outcome.js';

export { ACTIONS, type Action };

/** The outcome for one object. */
export interface ChangeSetEntry {
  action: Action;
  group: string;
  kind: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The ManifestSet the object belongs to. */
  set: string;
  /** The workload cluster (`<stage>/<name>`) the object lives in; absent for the management cluster. */
  cluster?: string;
  /** Why it was skipped, or a note on how it was changed (e.g. `replaced`). */
  reason?: string;
  /** Unified diff of live and desired state (diff only). */
  diff?: string;
}

/** A failure that stopped (part of) a ManifestSet, reported beside the entries. */
export interface ChangeSetError {
  set: string;
  /** The workload cluster (`<stage>/<name>`) the failure happened in; absent for the management cluster. */
  cluster?: string;
  message: string;
  /** The object that failed, when one did. */
  object?: ObjectRef;
}

/** The outcomes of one run: every object's action, plus the errors that stopped anything. */
export class ChangeSet {
  readonly entries: ChangeSetEntry[] = [];
  readonly errors: ChangeSetError[] = [];

  /** Whether the run was a dry-run or diff (nothing was changed). */
  constructor(readonly dryRun = false) {}

  /** Records one outcome. */
  add(set: string, ref: ObjectRef, action: Action, extra: { reason?: string; diff?: string } = {}): ChangeSetEntry {
    const entry: ChangeSetEntry = { action, ...ref, set, ...extra };
    this.entries.push(entry);
    return entry;
  }

  /** Records one failure. */
  fail(set: string, message: string, object?: ObjectRef): void {
    this.errors.push(object ? { set, message, object } : { set, message });
  }

  /** Adds every entry and error of another ChangeSet. */
  merge(other: ChangeSet): void {
    this.entries.push(...other.entries);
    this.errors.push(...other.errors);
  }

  /** Marks every entry and error as belonging to the workload cluster `cluster` (`<stage>/<name>`); returns this. */
  inCluster(cluster: string): this {
    for (const e of this.entries) e.cluster = cluster;
    for (const e of this.errors) e.cluster = cluster;
    return this;
  }

  /** Whether anything was (or would be) created, configured or deleted. */
  get hasChanges(): boolean {
    return this.entries.some((e) => e.action === 'created' || e.action === 'configured' || e.action === 'deleted');
  }

  /** Number of entries per action, every action present. */
  counts(): Record<Action, number> {
    const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
    for (const e of this.entries) counts[e.action]++;
    return counts;
  }
}

/** What the `cluster` field of JSON output says for objects of the management cluster. */
export const MANAGEMENT_CLUSTER = 'management';

/** Output formats of a ChangeSet. */
export const OUTPUT_FORMATS = ['text', 'json', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Renders a ChangeSet in one of the output formats. */
export function formatChangeSet(cs: ChangeSet, format: OutputFormat): string {
  return FORMATTERS[format](cs);
}

const FORMATTERS: Record<OutputFormat, (cs: ChangeSet) => string> = {
  text: formatText,
  json: formatJson,
  markdown: formatMarkdown,
};

function summary(cs: ChangeSet): string {
  const c = cs.counts();
  const parts = ACTIONS.map((a) => `${c[a]} ${a}`);
  const errors = cs.errors.length > 0 ? `, ${cs.errors.length} error${cs.errors.length === 1 ? '' : 's'}` : '';
  return `${parts.join(', ')}${errors}${cs.dryRun ? ' (dry run)' : ''}`;
}

/** For people: one line per change grouped by ManifestSet, unchanged objects counted, not listed. */
export function formatText(cs: ChangeSet): string {
  const lines: string[] = [];
  for (const set of setsOf(cs)) {
    const entries = cs.entries.filter((e) => e.set === set && e.action !== 'unchanged');
    const unchanged = cs.entries.filter((e) => e.set === set && e.action === 'unchanged').length;
    const errors = cs.errors.filter((e) => e.set === set);
    lines.push(`${set}${inClusterNote(cs, set, (c) => ` (in cluster ${c})`)}:`);
    for (const e of entries) {
      lines.push(`  ${displayRef(e)} ${e.action}${e.reason ? ` (${e.reason})` : ''}`);
      if (e.diff) lines.push(...e.diff.replace(/\n$/, '').split('\n').map((l) => `    ${l}`));
    }
    if (unchanged > 0) lines.push(`  ${unchanged} unchanged`);
    for (const e of errors) lines.push(`  error: ${e.message}`);
  }
  lines.push(summary(cs));
  return `${lines.join('\n')}\n`;
}

/**
 * For programs: `{dryRun, summary, entries: [{action, kind, namespace, name, set, cluster, ...}], errors}`;
 * `cluster` is `management` or the workload cluster's `<stage>/<name>`.
 */
export function formatJson(cs: ChangeSet): string {
  const out = {
    dryRun: cs.dryRun,
    summary: { ...cs.counts(), errors: cs.errors.length },
    entries: cs.entries.map((e) => ({
      action: e.action,
      kind: e.kind,
      group: e.group,
      namespace: e.namespace,
      name: e.name,
      set: e.set,
      cluster: e.cluster ?? MANAGEMENT_CLUSTER,
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.diff ? { diff: e.diff } : {}),
    })),
    errors: cs.errors.map((e) => ({ ...e, cluster: e.cluster ?? MANAGEMENT_CLUSTER })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

const MARKDOWN_LIMIT = 60_000;
const ACTION_MARK: Record<(typeof ACTIONS)[number], string> = {
  created: '🟢 created',
  configured: '🟡 configured',
  unchanged: 'unchanged',
  deleted: '🔴 deleted',
  skipped: '⚪ skipped',
};

/** For a pull-request comment: a summary, a table of changes per set and the diffs folded away; kept under GitHub's size limit. */
export function formatMarkdown(cs: ChangeSet): string {
  const c = cs.counts();
  const out: string[] = [];
  out.push(`### clusterops ${cs.dryRun ? 'diff' : 'apply'}`, '');
  out.push('| created | configured | unchanged | deleted | skipped | errors |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
  out.push(`| ${c.created} | ${c.configured} | ${c.unchanged} | ${c.deleted} | ${c.skipped} | ${cs.errors.length} |`, '');
  for (const set of setsOf(cs)) {
    const entries = cs.entries.filter((e) => e.set === set && e.action !== 'unchanged');
    const errors = cs.errors.filter((e) => e.set === set);
    if (entries.length === 0 && errors.length === 0) continue;
    out.push(`#### \`${set}\`${inClusterNote(cs, set, (c) => ` in cluster \`${c}\``)}`, '');
    if (entries.length > 0) {
      out.push('| action | kind | namespace | name | note |', '| --- | --- | --- | --- | --- |');
      for (const e of entries) {
        out.push(`| ${ACTION_MARK[e.action]} | ${md(e.kind)} | ${md(e.namespace)} | ${md(e.name)} | ${md(e.reason ?? '')} |`);
      }
      out.push('');
    }
    for (const e of errors) out.push(`> **error**: ${md(e.message)}`, '');
  }
  const head = out.join('\n');
  const diffs: string[] = [];
  let size = head.length;
  let omitted = 0;
  for (const e of cs.entries) {
    if (!e.diff) continue;
    const block = `<details><summary>${displayRef(e)} (${e.set}${e.cluster ? ` in cluster ${e.cluster}` : ''})</summary>\n\n\`\`\`diff\n${e.diff.replace(/```/g, '` ` `')}\n\`\`\`\n</details>\n`;
    if (size + block.length > MARKDOWN_LIMIT) {
      omitted++;
      continue;
    }
    size += block.length;
    diffs.push(block);
  }
  if (omitted > 0) diffs.push(`_${omitted} more diff(s) left out to fit a comment; run \`clusterops diff\` to see them._\n`);
  return `${head}${diffs.length > 0 ? `\n${diffs.join('\n')}` : ''}`;
}

function md(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `note(cluster)` when the set's entries live in a workload cluster, '' for the management cluster. */
function inClusterNote(cs: ChangeSet, set: string, note: (cluster: string) => string): string {
  const cluster = cs.entries.find((e) => e.set === set)?.cluster ?? cs.errors.find((e) => e.set === set)?.cluster;
  return cluster ? note(cluster) : '';
}

function setsOf(cs: ChangeSet): string[] {
  const sets = new Set<string>();
  for (const e of cs.entries) sets.add(e.set);
  for (const e of cs.errors) sets.add(e.set);
  return [...sets];
}
