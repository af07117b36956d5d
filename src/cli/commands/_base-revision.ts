/**
 * The base side of `clusterops ci`'s offline diff: which commit the pull request is compared with
 * (`--base REF`, else the merge base of HEAD with the default branch), and its ManifestSets. When
 * only the declarations differ from the working tree, the base's clusters folder is synthesized
 * in-process by the running code (the same code as head's); when code differs too, the base is
 * synthesized by its own code, in the reconciler's sandbox (SynthRunner), so a ClusterClass
 * change in the code shows up as the change it is.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ManifestSet } from '../../model/manifest-set.js';
import { loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import { synthFleet } from '../../synth/synth.js';

const run = promisify(execFile);

/** The base revision cannot be found or synthesized; the message says why. */
export class BaseRevisionError extends Error {}

/** The base revision, synthesized. */
export interface BaseRevision {
  /** Full commit id. */
  commit: string;
  /** What was asked (`--base`) or found (`merge-base HEAD origin/main`). */
  ref: string;
  sets: ManifestSet[];
  /** `in-process` when the base differs from the working tree in clusters/ only, else `own code (sandboxed)`. */
  synthesizedWith: 'in-process' | 'own code (sandboxed)';
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
    const archive = spawn('git', ['archive', '--format=tar', commit, ...paths], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Finds the base commit for the clusters folder `clustersDir` and synthesizes its declarations. */
export async function synthBaseRevision(clustersDir: string, ref?: string): Promise<BaseRevision> {
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
  // Tracked files outside the clusters folder that differ between base and the working tree: code.
  const codeChanged = !(await gitOk(repo, ['diff', '--quiet', commit, '--', '.', `:(exclude)${rel}`]));
  const changedFiles = (await git(repo, ['diff', '--name-only', '--relative', commit, '--', rel]).catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((f) => path.relative(rel, f));
  const changedStageFiles = changedFiles.filter((f) => /^[^/]+\/stage\.ya?ml$/.test(f)).sort();
  const scratch = await mkdtemp(path.join(tmpdir(), 'clusterops-ci-base-'));
  try {
    if (!codeChanged) {
      if (!inBase) return { commit, ref: described, sets: [], synthesizedWith: 'in-process', changedStageFiles };
      await exportTree(repo, commit, scratch, [rel]);
      const { fleet, problems } = await loadFleet(path.join(scratch, rel));
      if (!fleet) {
        const first = problems.slice(0, 3).map(formatProblem).join('; ').replaceAll(scratch + path.sep, '');
        throw new BaseRevisionError(`the base revision's declarations are invalid (${problems.length} problem(s): ${first})`);
      }
      return { commit, ref: described, sets: synthFleet(fleet), synthesizedWith: 'in-process', changedStageFiles };
    }
    if (rel !== 'clusters') {
      throw new BaseRevisionError(`the base revision changes code too, and its own synth reads clusters/ at the repository root, not ${rel}`);
    }
    await exportTree(repo, commit, scratch);
    const [{ SynthRunner }, { pino }, { cacheDir }] = await Promise.all([
      import('../../reconciler/synth-runner.js'),
      import('pino'),
      import('../../pulumi/engine.js'),
    ]);
    const runner = new SynthRunner({ cacheDir: path.join(cacheDir(), 'ci-synth'), logger: pino({ level: 'silent' }), seedInstallations: [repo] });
    try {
      const result = await runner.synth(scratch);
      return { commit, ref: described, sets: result.sets, synthesizedWith: 'own code (sandboxed)', changedStageFiles };
    } catch (error) {
      throw new BaseRevisionError(`the base revision's own synth failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
