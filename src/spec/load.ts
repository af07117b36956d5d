import path from 'node:path';
import type { z } from 'zod';
import type { Fleet } from '../model/fleet.js';
import { sortProblems, type Problem } from './problem.js';
import type { BlockedDeclaration } from '../model/blocked-declaration.js';

export type { BlockedDeclaration } from '../model/blocked-declaration.js';
import { crossFieldProblems, parseAddonSettings, stageSchema, workloadClusterSchema } from './schema.js';
import type { Stage } from '../model/stage.js';
import { CLUSTEROPS_API_VERSION } from './supported-versions.js';
import type { WorkloadCluster, WorkloadClusterSpec } from '../model/workload-cluster.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';
import { readBounded } from './_read-bounded.js';
import type { LoadMemo } from './load-memo.js';
import { dns1123LabelError } from '../model/names.js';
import { listFleetFiles, showPath, type FleetFile, type FleetFiles, type StageFiles } from './fleet-files.js';
import { quote } from '../model/quote.js';
import { addonFor } from '../addons/catalog.js';
import type { AddonContext } from '../addons/addon.js';
import { readChartDir, type ChartDir } from '../helm/chart-dir.js';
import { CHART_PULL_ENV, remoteChartDir } from '../helm/chart-pull.js';

export { FleetDirError } from './fleet-files.js';
export { LoadMemo } from './load-memo.js';

/** The result of reading `clusters/`: a Fleet when there is no problem, and every problem found. */
export interface LoadResult {
  /** Without `partial`: only when there is no problem. With it: what validated, unless a problem belongs to no stage. */
  fleet?: Fleet;
  problems: Problem[];
  /** With `partial`: the stages and clusters left out of `fleet`, each with its own problems. */
  blocked: BlockedDeclaration[];
}

/** How loadFleet treats problems. */
export interface LoadOptions {
  /**
   * Keep going: a problem in a cluster file leaves out only that cluster, a problem in a stage's
   * folder or stage.yaml only that stage; a problem of the clusters folder itself still leaves no
   * fleet. The reconciler loads this way, so one bad file never holds up the rest of the fleet.
   * @default false
   */
  partial?: boolean;
  /** Clusters validated by an earlier load, reused for files with the same bytes (and filled with this load's). @default none */
  memo?: LoadMemo;
}

/** Reads and validates every declaration under `root` (one folder per stage), by the rules of listFleetFiles. */
export async function loadFleet(root: string, options: LoadOptions = {}): Promise<LoadResult> {
  const listed = listFleetFiles(root);
  const { fleetProblems, listedByStage } = attributeListed(listed);
  const problems: Problem[] = [...listed.problems];
  const stages: Stage[] = [];
  const clusters: WorkloadCluster[] = [];
  const blocked: BlockedDeclaration[] = [];
  const context = addonContext(root);
  for (const files of listed.stages) {
    const r = loadStage(files, listedByStage.get(files.name) ?? [], context, options.memo);
    problems.push(...r.problems);
    blocked.push(...r.blocked);
    if (r.stage) stages.push(r.stage);
    clusters.push(...r.clusters);
  }
  const unique = dedupe(problems);
  clusters.sort((a, b) => cmp(a.stage, b.stage) || cmp(a.name, b.name));
  if (options.partial && fleetProblems.length === 0) return { fleet: { root, stages, clusters }, problems: sortProblems(unique), blocked };
  if (unique.length) return { problems: sortProblems(unique), blocked: [] };
  return { fleet: { root, stages, clusters }, problems: [], blocked: [] };
}

/**
 * The problems of listing `clusters/`, by owner: an entry inside a stage folder is that stage's (it
 * blocks only that stage), one directly in the clusters folder belongs to no stage (it blocks all).
 */
function attributeListed(listed: FleetFiles): { fleetProblems: Problem[]; listedByStage: Map<string, Problem[]> } {
  const stageOfDir = new Map(listed.stages.map((files) => [showPath(files.dir), files.name]));
  const fleetProblems: Problem[] = [];
  const listedByStage = new Map<string, Problem[]>();
  for (const p of listed.problems) {
    const stage = stageOfDir.get(path.dirname(p.file));
    if (stage === undefined) fleetProblems.push(p);
    else listedByStage.set(stage, [...(listedByStage.get(stage) ?? []), p]);
  }
  return { fleetProblems, listedByStage };
}

/** What add-ons read of the repository in one load: its root, and each chart folder once. */
function addonContext(root: string): AddonContext {
  const charts = new Map<string, ChartDir | Error>();
  // Only a process that may reach the network pulls; the reconciler's sandboxed synth reads the cache it filled.
  const pull = process.env[CHART_PULL_ENV] !== 'never';
  return {
    repoRoot: path.dirname(path.resolve(root)),
    remoteChart: (chart) => remoteChartDir(chart, { pull }),
    readChart(dir) {
      let chart = charts.get(dir);
      if (!chart) {
        try {
          chart = readChartDir(dir);
        } catch (error) {
          chart = error as Error;
        }
        charts.set(dir, chart);
      }
      if (chart instanceof Error) throw chart;
      return chart;
    },
  };
}

/**
 * The cluster with each add-on's settings resolved against the repository (a Helm add-on's chart),
 * or the problems, placed by `problemAt`. Runs on every load, a memo's cluster too.
 */
function resolveAddons(cluster: WorkloadCluster, context: AddonContext, problemAt: () => ProblemAt): { cluster?: WorkloadCluster; problems: Problem[] } {
  const problems: Problem[] = [];
  let addons: Record<string, unknown> | undefined;
  for (const [name, settings] of Object.entries(cluster.spec.addons)) {
    const def = addonFor(name, settings);
    if (!def?.resolve) continue;
    const r = def.resolve(settings, context);
    if ('problems' in r) for (const p of r.problems) problems.push(problemAt()(['spec', 'addons', name, ...p.path], p.message));
    else (addons ??= { ...cluster.spec.addons })[name] = r.settings;
  }
  if (problems.length) return { problems };
  return { cluster: addons ? { ...cluster, spec: { ...cluster.spec, addons } } : cluster, problems };
}

function loadStage(files: StageFiles, listedProblems: Problem[], context: AddonContext, memo?: LoadMemo): { stage?: Stage; clusters: WorkloadCluster[]; problems: Problem[]; blocked: BlockedDeclaration[] } {
  const { name } = files;
  const read = readStage(files);
  const stageProblems = [...listedProblems, ...read.problems];
  const { stage, source: stageSource } = read;
  // Only a stage file read without a problem lends its clusters to the memo (or takes them from it).
  const stageKey = memo && !read.problems.length ? memo.stageKey(name, read.bytes) : undefined;

  const clusters: WorkloadCluster[] = [];
  const blocked: BlockedDeclaration[] = [];
  const problems: Problem[] = [...read.problems];
  const byName = new Map<string, string>();
  for (const f of files.clusterFiles) {
    const own: Problem[] = [];
    const fromFile = path.basename(f.file).replace(/\.ya?ml$/, '');
    const names = new Set([fromFile]);
    const bytes = readFile(f);
    if ('problem' in bytes) own.push(bytes.problem);
    else {
      const file = showPath(f.file);
      let cluster = stageKey === undefined ? undefined : memo!.get(stageKey, bytes.bytes, file);
      let source: YamlSource | undefined;
      if (!cluster) {
        const r = parseYamlSource(file, bytes.bytes);
        own.push(...r.problems);
        source = r.source;
        if (source) {
          const c = validateCluster(source, stage, context, stageSource);
          own.push(...c.problems);
          cluster = c.cluster;
          if (cluster && stageKey !== undefined) memo!.set(stageKey, bytes.bytes, cluster);
        }
      }
      if (cluster) {
        // A cluster from the memo was read without a problem: parsing it again only to place a problem cannot fail.
        const r = resolveAddons(cluster, context, () => clusterLocator((source ??= parseYamlSource(file, bytes.bytes).source!), stageSource).problemAt);
        own.push(...r.problems);
        cluster = r.cluster;
      }
      const declared = source ? (source.value as { metadata?: { name?: unknown } })?.metadata?.name : cluster?.name;
      if (typeof declared === 'string') {
        names.add(declared);
        const first = byName.get(declared);
        if (first) {
          // A cluster from the memo was read without a problem: parsing it again only to place this one cannot fail.
          source ??= parseYamlSource(file, bytes.bytes).source!;
          own.push(source.problem(['metadata', 'name'], `duplicate cluster name ${quote(declared)} in stage "${name}" (also declared in ${first})`));
          // Neither file is the one declaration of that name: the first one's cluster is left out too (this entry names it).
          const other = clusters.findIndex((x) => x.name === declared);
          if (other >= 0) clusters.splice(other, 1);
        } else byName.set(declared, file);
      }
      if (cluster && own.length === 0) clusters.push(cluster);
    }
    problems.push(...own);
    if (own.length > 0) blocked.push({ stage: name, clusters: [...names].sort(), problems: sortProblems(dedupe(own)) });
  }
  // A problem of the stage itself (its folder, stage.yaml, a file that is not read) leaves out the whole stage.
  if (stageProblems.length > 0) {
    return { clusters: [], problems, blocked: [{ stage: name, problems: sortProblems(dedupe([...stageProblems, ...blocked.flatMap((b) => b.problems)])) }] };
  }
  return { stage, clusters, problems, blocked };
}

/** The stage of a listed folder: its stage.yaml when it has one, else a stage without defaults or policy. */
function readStage(files: StageFiles): { stage: Stage; source?: YamlSource; bytes?: Buffer; problems: Problem[] } {
  const { dir, name } = files;
  const problems: Problem[] = [];
  const folderError = dns1123LabelError(name);
  if (folderError) problems.push(at(showPath(dir), `stage folder name: ${folderError}`));
  const none: Stage = { name, defaults: {}, policy: {} };
  if (!files.stageFile) return { stage: none, problems };
  const bytes = readFile(files.stageFile);
  if ('problem' in bytes) return { stage: none, problems: [...problems, bytes.problem] };
  const r = parseYamlSource(showPath(files.stageFile.file), bytes.bytes);
  problems.push(...r.problems);
  const s = r.source ? validateStage(r.source, name) : { problems: [] };
  problems.push(...s.problems);
  return s.stage ? { stage: s.stage, source: r.source, bytes: bytes.bytes, problems } : { stage: none, problems };
}

/** The bytes of a listed file within the size limit, or the problem that stops it being read. */
function readFile(f: FleetFile): { bytes: Buffer } | { problem: Problem } {
  const r = readBounded(f.read);
  return 'error' in r ? { problem: at(showPath(f.file), r.error) } : r;
}

/** What loadStages read: the stages whose folder and stage.yaml are sound, and the rest by name. */
export interface StagesResult {
  /** Absent when a problem of the clusters folder itself leaves no stage readable. */
  stages?: Stage[];
  problems: Problem[];
  /** Stages whose folder or stage.yaml has a problem (their policy is not known). */
  blockedStages: string[];
}

/**
 * Reads the stage folders under `root` and their stage.yaml files only, not the cluster files (by
 * the same file rules and limits as loadFleet): every stage that is sound, the names of those that
 * are not, and every problem found. The reconciler reads a revision's policy with this, in its own
 * code, whatever that revision's code is.
 */
export async function loadStages(root: string): Promise<StagesResult> {
  const listed = listFleetFiles(root);
  const { fleetProblems, listedByStage } = attributeListed(listed);
  const problems: Problem[] = [...listed.problems];
  const blocked = new Set(listedByStage.keys());
  const stages: Stage[] = [];
  for (const files of listed.stages) {
    const r = readStage(files);
    problems.push(...r.problems);
    if (r.problems.length > 0) blocked.add(files.name);
    if (!blocked.has(files.name)) stages.push(r.stage);
  }
  const sorted = sortProblems(dedupe(problems));
  return fleetProblems.length > 0 ? { problems: sorted, blockedStages: [] } : { stages, problems: sorted, blockedStages: [...blocked].sort() };
}

function checkHeader(source: YamlSource, kind: string): Problem[] {
  const v = source.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return [source.problem([], `expected a mapping with apiVersion: ${CLUSTEROPS_API_VERSION} and kind: ${kind}`)];
  }
  const doc = v as Record<string, unknown>;
  const out: Problem[] = [];
  if (doc.apiVersion !== CLUSTEROPS_API_VERSION) {
    out.push(source.problem(['apiVersion'], doc.apiVersion === undefined ? `required; expected ${CLUSTEROPS_API_VERSION}` : `expected ${CLUSTEROPS_API_VERSION}, got ${quote(doc.apiVersion)}`));
  }
  if (doc.kind !== kind) {
    const hint = doc.kind === 'Stage' ? ' (a Stage belongs in stage.yaml)' : doc.kind === 'WorkloadCluster' ? ' (stage.yaml holds the Stage)' : '';
    out.push(source.problem(['kind'], doc.kind === undefined ? `required; expected ${kind}` : `expected ${kind}, got ${quote(doc.kind)}${hint}`));
  }
  return out;
}

function validateStage(source: YamlSource, folder: string): { stage?: Stage; problems: Problem[] } {
  const header = checkHeader(source, 'Stage');
  if (header.length) return { problems: header };
  const r = stageSchema.safeParse(source.value, { reportInput: true });
  const problems = r.success ? [] : zodProblems(r.error.issues, source);
  if (r.success && r.data.metadata.name !== folder) {
    problems.push(source.problem(['metadata', 'name'], `must equal its folder name "${folder}"`));
  }
  if (!r.success) return { problems };
  // A misnamed stage still lends its defaults and policy, so its clusters' problems show in the same run.
  const { defaults, policy, admission } = r.data.spec;
  return { stage: { name: folder, defaults, policy, ...(admission ? { admission } : {}), file: source.file }, problems };
}

function validateCluster(source: YamlSource, stage: Stage, context: AddonContext, stageSource?: YamlSource): { cluster?: WorkloadCluster; problems: Problem[] } {
  const header = checkHeader(source, 'WorkloadCluster');
  if (header.length) return { problems: header };
  const doc = source.value as Record<string, unknown>;
  const merged = { ...doc, spec: deepMerge(stage.defaults, doc.spec) };
  const { where, problemAt } = clusterLocator(source, stageSource);
  const r = workloadClusterSchema.safeParse(merged, { reportInput: true });
  const problems = r.success ? [] : zodProblems(r.error.issues, source, problemAt, where);
  for (const fp of crossFieldProblems(merged.spec)) problems.push(problemAt(['spec', ...fp.path], fp.message));
  // Policy is checked on the merged values even when other fields failed, so one run shows all.
  const spec = merged.spec as { controlPlane?: { replicas?: unknown }; deletionProtection?: unknown } | undefined;
  const min = stage.policy.minControlPlaneReplicas;
  const replicas = spec?.controlPlane?.replicas;
  if (min !== undefined && typeof replicas === 'number' && replicas < min) {
    problems.push(problemAt(['spec', 'controlPlane', 'replicas'], `stage "${stage.name}" policy requires at least ${min} control-plane replicas`));
  }
  if (stage.policy.requireDeletionProtection && spec?.deletionProtection !== true) {
    problems.push(problemAt(['spec', 'deletionProtection'], `stage "${stage.name}" policy requires deletionProtection: true`));
  }
  if (!r.success || problems.length) {
    // The add-ons whose settings are sound are checked against the repository too, so one run shows every problem.
    const addons = (merged.spec as { addons?: unknown } | undefined)?.addons;
    if (isPlain(addons)) {
      for (const [name, settings] of Object.entries(addons)) {
        const parsed = parseAddonSettings(name, settings);
        const resolve = addonFor(name, settings)?.resolve;
        if (!resolve || !('settings' in parsed)) continue;
        const resolved = resolve(parsed.settings, context);
        if ('problems' in resolved) for (const p of resolved.problems) problems.push(problemAt(['spec', 'addons', name, ...p.path], p.message));
      }
    }
    return { problems };
  }
  const addons: Record<string, unknown> = {};
  for (const [name, settings] of Object.entries(r.data.spec.addons)) {
    const a = parseAddonSettings(name, settings);
    if ('settings' in a) addons[name] = a.settings;
  }
  const pos = source.locate([]);
  return {
    cluster: {
      name: r.data.metadata.name,
      stage: stage.name,
      labels: r.data.metadata.labels,
      spec: { ...r.data.spec, addons } as WorkloadClusterSpec,
      source: { file: source.file, line: pos.line, column: pos.column },
    },
    problems,
  };
}

/** Where a field path of a cluster is written: in its file, or in stage.yaml when the stage defaulted it. */
function clusterLocator(source: YamlSource, stageSource?: YamlSource): { where: Locator; problemAt: ProblemAt } {
  const where = (p: PropertyKey[], opts?: { key?: boolean }) => {
    const here = source.locate(p, opts);
    if (here.exact || !stageSource || p[0] !== 'spec') return { source, exact: here.exact };
    const inStage = stageSource.locate(['spec', 'defaults', ...p.slice(1)], opts);
    return inStage.exact ? { source: stageSource, exact: true, prefix: ['spec', 'defaults'] } : { source, exact: false };
  };
  const problemAt = (p: PropertyKey[], message: string, opts?: { key?: boolean }): Problem => {
    const w = where(p, opts);
    const local = w.prefix ? [...w.prefix, ...p.slice(1)] : p;
    return w.source.problem(local, message, opts);
  };
  return { where, problemAt };
}

type Locator = (p: PropertyKey[], opts?: { key?: boolean }) => { exact: boolean };
type ProblemAt = (p: PropertyKey[], message: string, opts?: { key?: boolean }) => Problem;

/** Turns zod issues into problems at the right line, with messages a person can act on. */
function zodProblems(issues: z.core.$ZodIssue[], source: YamlSource, problemAt?: ProblemAt, where?: Locator): Problem[] {
  const at: ProblemAt = problemAt ?? ((p, m, o) => source.problem(p, m, o));
  const exact: Locator = where ?? ((p, o) => source.locate(p, o));
  const out: Problem[] = [];
  for (const iss of issues) {
    const p = iss.path as PropertyKey[];
    const input = (iss as { input?: unknown }).input;
    const odd = typeof input === 'number' && !Number.isFinite(input) ? nonFinite(input, source.written(p)) : '';
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push(at([...p, key], `unknown field ${quote(key)}`, { key: true }));
    } else if ((iss.code === 'invalid_type' || iss.code === 'invalid_value') && !exact(p).exact) {
      out.push(at(p, 'required field is missing'));
    } else if (iss.code === 'invalid_union' || iss.code === 'invalid_type') {
      out.push(at(p, iss.code === 'invalid_type' ? `expected ${article(iss.expected)}${odd || describe(input)}` : `${iss.message}${odd}`));
    } else {
      out.push(at(p, `${iss.message}${odd}`));
    }
  }
  return out;
}

function article(t: string): string {
  return t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function describe(input: unknown): string {
  if (input === null) return ', got null';
  if (Array.isArray(input)) return ', got a list';
  if (typeof input === 'object') return ', got a mapping';
  return `, got ${typeof input} ${quote(input)}`;
}

/** What a YAML number that is not finite was: `.inf`, `.nan`, or a literal too large (`1e309`). */
function nonFinite(n: number, written = String(n)): string {
  if (Number.isNaN(n)) return `, got ${written}, which is not a number`;
  const inf = n < 0 ? 'minus infinity' : 'infinity';
  return /^[-+]?\.inf$/i.test(written) ? `, got ${written}, which is ${inf}` : `, got ${written}, which is too large for a number (${inf})`;
}

/** Stage defaults under a cluster's own spec: mappings merge, anything else the cluster sets wins. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isPlain(base) && isPlain(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
    return out;
  }
  return over;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function at(file: string, message: string): Problem {
  return { file, line: 1, column: 1, path: '', message };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.file}:${p.line}:${p.column}:${p.path}:${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
