/**
 * The base side of `clusterops ci`'s offline diff: which commit the pull request is compared with
 * (`--base REF`, else the merge base of HEAD with the default branch), and what it declares. When
 * only the declarations differ from the working tree, the base's clusters folder is loaded
 * in-process, to be synthesized by the running code (the same code as head's); when code differs
 * too, the base is synthesized by its own code, in the reconciler's sandbox (SynthRunner), so a
 * ClusterClass change in the code shows up as the change it is.
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Fleet } from '../../model/fleet.js';
import type { ManifestSet } from '../../model/manifest-set.js';
import { loadFleet, type LoadMemo } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';

const run = promisify(execFile);

/** The base revision cannot be found or synthesized; the message says why. */
export class BaseRevisionError extends Error {}

/** The base revision: its declarations, for the running code to synthesize, or the sets its own code synthesized. */
export type BaseRevision = BaseRevisionFound &
  (
    | {
        /** The base differs from the working tree in clusters/ only: the running code synthesizes it. */
        synthesizedWith: 'in-process';
        /** Its declarations (empty when the base has no clusters folder). */
        fleet: Fleet;
      }
    | {
        /** Code differs too: the base's own code synthesized it, in the sandbox. */
        synthesizedWith: 'own code (sandboxed)';
        sets: ManifestSet[];
      }
  );

/** Which commit the base is, and what differs in its clusters folder. */
interface BaseRevisionFound {
  /** Full commit id. */
  commit: string;
  /** What was asked (`--base`) or found (`merge-base HEAD origin/main`). */
  ref: string;
  /** Stage files (`<stage>/stage.yaml`) that differ between base and the working tree, relative to the clusters folder. */
  changedStageFiles: string[];
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n')[0];
    throw new BaseRevisionError(`git ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

async function gitOk(cwd: string, args: string[]): Promise<boolean> {
  return run('git', args, { cwd }).then(() => true, () => false);
}

/** The default branch to compare with: origin's HEAD, else the first of origin/main, main, origin/master, master that exists. */
async function defaultBranch(repo: string): Promise<string> {
  const originHead = await git(repo, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']).catch(() => '');
  if (originHead) return originHead;
  for (const ref of ['origin/main', 'main', 'origin/master', 'master']) {
    if (await gitOk(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])) return ref;
  }
  throw new BaseRevisionError('cannot find the default branch (no origin/HEAD, main or master): pass --base REF');
}

/** Writes the tree of `commit` (only `paths`, when given) into `dir`. */
async function exportTree(repo: string, commit: string, dir: string, paths: string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['--literal-pathspecs', 'archive', '--format=tar', commit, ...paths], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    archive.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    tar.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    archive.stdout.pipe(tar.stdin);
    archive.on('error', reject);
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new BaseRevisionError(`git archive ${commit} failed: ${stderr.trim().split('\n')[0]}`))));
  });
}

/** What loading the head left for loading the base (in-process): its declarations and the clusters it validated. */
export interface HeadLoad {
  /** The head's declarations, valid. */
  fleet: Fleet;
  memo: LoadMemo;
}

/**
 * Which top-level entries of the clusters folder (`rel` in `repo`) the base must write out, and which
 * stage folders it can take from the head's load instead: those with no tracked change (`changed`,
 * relative to the folder), no untracked or ignored file, and only regular files in `commit`. With a
 * symlink or submodule anywhere in the base's folder nothing is taken (a link may read another stage).
 */
async function sharedStages(repo: string, commit: string, rel: string, changed: string[]): Promise<{ shared: Set<string>; write: string[] }> {
  const prefix = rel === '.' ? '' : `${rel}/`;
  const entries = (await git(repo, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', prefix || '.'])).split('\0').filter(Boolean);
  const untracked = (await git(repo, ['ls-files', '--others', '--directory', '-z', '--', prefix || '.'])).split('\0').filter(Boolean);
  const top = (p: string) => p.slice(prefix.length).split('/')[0]!;
  const inBase = new Map<string, boolean>();
  let linked = false;
  for (const entry of entries) {
    const [meta, file] = [entry.slice(0, entry.indexOf('\t')), entry.slice(entry.indexOf('\t') + 1)];
    const mode = meta.split(' ')[0];
    if (mode !== '100644' && mode !== '100755') linked = true;
    const name = top(file);
    // A stage is a folder: a top-level file never counts as one.
    inBase.set(name, (inBase.get(name) ?? true) && file.slice(prefix.length).includes('/'));
  }
  const touched = new Set([...changed.map((f) => f.split('/')[0]!), ...untracked.map(top)]);
  const shared = new Set(linked ? [] : [...inBase].filter(([name, folder]) => folder && !touched.has(name)).map(([name]) => name));
  return { shared, write: [...inBase.keys()].filter((name) => !shared.has(name)).map((name) => `${prefix}${name}`) };
}

/** `fleet` with the stages `names` and their clusters taken from `from`, in the order loadFleet gives. */
function withStages(fleet: Fleet, from: Fleet, names: Set<string>): Fleet {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    root: fleet.root,
    stages: [...fleet.stages, ...from.stages.filter((s) => names.has(s.name))].sort((a, b) => byName(a.name, b.name)),
    clusters: [...fleet.clusters, ...from.clusters.filter((c) => names.has(c.stage))].sort((a, b) => byName(a.stage, b.stage) || byName(a.name, b.name)),
  };
}

/**
 * Finds the base commit for the clusters folder `clustersDir` and reads its declarations (or, when
 * code differs too, synthesizes them with the base's own code, sandboxed). With `head`, what the base
 * shares with the head is not read and validated again: a stage folder with the same files is taken
 * from the head's fleet, a cluster file with the same bytes from its memo.
 */
export async function readBaseRevision(clustersDir: string, ref?: string, head?: HeadLoad): Promise<BaseRevision> {
  const clusters = path.resolve(clustersDir);
  const repo = await git(clusters, ['rev-parse', '--show-toplevel']).catch(() => {
    throw new BaseRevisionError(`${clustersDir} is not inside a git repository; the offline diff compares two commits`);
  });
  const rel = path.relative(repo, clusters) || '.';
  let commit: string;
  let described: string;
  if (ref) {
    commit = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => {
      throw new BaseRevisionError(`--base ${ref} is not a commit of ${repo}`);
    });
    described = ref;
  } else {
    const branch = await defaultBranch(repo);
    commit = await git(repo, ['merge-base', 'HEAD', branch]);
    described = `merge-base HEAD ${branch}`;
  }
  const inBase = await gitOk(repo, ['cat-file', '-e', `${commit}:${rel === '.' ? '' : rel}`]);
  // The vendored Helm charts (charts/ next to the clusters folder) are declarations' data, not code.
  const chartsRel = path.join(path.dirname(rel), 'charts');
  // Tracked files outside the clusters folder and the charts that differ between base and the working tree: code.
  const codeChanged = !(await gitOk(repo, ['diff', '--quiet', commit, '--', '.', `:(exclude)${rel}`, `:(exclude)${chartsRel}`]));
  const chartsInBase = await gitOk(repo, ['cat-file', '-e', `${commit}:${chartsRel}`]);
  const chartsChanged = !(await gitOk(repo, ['diff', '--quiet', commit, '--', chartsRel]));
  // Both names of a rename, unquoted (-z): a stage folder is taken from the head only when no path in it differs.
  const changedFiles = (await git(repo, ['diff', '--name-only', '--no-renames', '-z', '--relative', commit, '--', rel]))
    .split('\0')
    .filter(Boolean)
    .map((f) => path.relative(rel, f));
  const changedStageFiles = changedFiles.filter((f) => /^[^/]+\/stage\.ya?ml$/.test(f)).sort();
  const scratch = await mkdtemp(path.join(tmpdir(), 'clusterops-ci-base-'));
  // The base's charts are read again when its sets are synthesized, after this returns: they stay until the process exits.
  let keep = false;
  try {
    if (!codeChanged) {
      if (!inBase) return { commit, ref: described, fleet: { root: clusters, stages: [], clusters: [] }, synthesizedWith: 'in-process', changedStageFiles };
      // Stage folders with the same files as the head's are not written out and read again: the head's clusters stand in.
      // A head stage stands in only when the charts its clusters resolved are the same files too.
      const { shared, write } = head && !chartsChanged ? await sharedStages(repo, commit, rel, changedFiles) : { shared: new Set<string>(), write: [rel] };
      if (write.length || chartsInBase) await exportTree(repo, commit, scratch, [...write, ...(chartsInBase ? [chartsRel] : [])]);
      await mkdir(path.join(scratch, rel), { recursive: true });
      const { fleet, problems } = await loadFleet(path.join(scratch, rel), { memo: head?.memo });
      if (!fleet) {
        const first = problems.slice(0, 3).map(formatProblem).join('; ').replaceAll(scratch + path.sep, '');
        throw new BaseRevisionError(`the base revision's declarations are invalid (${problems.length} problem(s): ${first})`);
      }
      const whole = head && shared.size ? withStages(fleet, head.fleet, shared) : fleet;
      if (chartsInBase) {
        keep = true;
        process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
      }
      return { commit, ref: described, fleet: whole, synthesizedWith: 'in-process', changedStageFiles };
    }
    if (rel !== 'clusters') {
      throw new BaseRevisionError(`the base revision changes code too, and its own synth reads clusters/ at the repository root, not ${rel}`);
    }
    await exportTree(repo, commit, scratch);
    const [{ SynthRunner }, { pino }, { cacheDir }] = await Promise.all([
      import('../../reconciler/synth-runner.js'),
      import('pino'),
      import('../../model/tool-cache.js'),
    ]);
    const runner = new SynthRunner({ cacheDir: path.join(cacheDir(), 'ci-synth'), logger: pino({ level: 'silent' }), seedInstallations: [repo] });
    try {
      const result = await runner.synth(scratch);
      return { commit, ref: described, sets: result.sets, synthesizedWith: 'own code (sandboxed)', changedStageFiles };
    } catch (error) {
      throw new BaseRevisionError(`the base revision's own synth failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  } finally {
    if (!keep) await rm(scratch, { recursive: true, force: true });
  }
}
