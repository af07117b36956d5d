import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where a GitSource fetches from and keeps its copies. */
export interface GitSourceOptions {
  /** Repository URL: file://, https:// or ssh (anything the git binary fetches). */
  url: string;
  /**
   * Branch to follow.
   * @default the remote's default branch (its HEAD, read with `git ls-remote --symref`)
   */
  branch?: string;
  /** Folder for the bare repository and the checkouts; created when missing. */
  dir: string;
  /**
   * Time allowed for one git command.
   * @default 120000
   */
  timeoutMs?: number;
  /**
   * Checkouts kept on disk besides the ones in use (older ones are removed).
   * @default 2
   */
  keepCheckouts?: number;
  /** @default `git` */
  gitBinary?: string;
}

/** A git command failed; the message names the command and git's last words, with credentials in URLs removed. */
export class GitError extends Error {
  override name = 'GitError';
}

/** One fetched revision of the followed branch. */
export interface FetchResult {
  /** Full commit SHA at the tip of the branch. */
  revision: string;
  branch: string;
  /** Whether the tip moved since the previous successful fetch. */
  changed: boolean;
}

/** Removes user information (tokens, passwords) from URLs in a text. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/** The environment git runs with: the process's own, minus cluster credentials, never prompting. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C' };
  delete env.KUBECONFIG;
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return env;
}

/**
 * Follows one branch of a git repository through the `git` binary: fetches into a bare repository
 * under `dir`, and checks each revision out into its own folder (a detached worktree), so the
 * revision being applied and the one being synthesized never share files.
 */
export class GitSource {
  readonly url: string;
  private branchName: string | undefined;
  private readonly bare: string;
  private readonly checkoutsDir: string;
  private readonly timeoutMs: number;
  private readonly keep: number;
  private readonly git: string;
  private last: string | undefined;
  private initialized = false;

  constructor(options: GitSourceOptions) {
    this.url = options.url;
    this.branchName = options.branch;
    this.bare = path.join(options.dir, 'repo.git');
    this.checkoutsDir = path.join(options.dir, 'checkouts');
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.keep = options.keepCheckouts ?? 2;
    this.git = options.gitBinary ?? 'git';
  }

  /** The URL with credentials removed, for logs and status. */
  get displayUrl(): string {
    return redactUrl(this.url);
  }

  /** The branch followed; undefined until the first fetch when it is the remote's default. */
  get branch(): string | undefined {
    return this.branchName;
  }

  /** The revision of the last successful fetch. */
  get lastRevision(): string | undefined {
    return this.last;
  }

  /** The remote's default branch, from `git ls-remote --symref <url> HEAD`. */
  async defaultBranch(): Promise<string> {
    const out = await this.runGit(['ls-remote', '--symref', this.url, 'HEAD']);
    const match = /^ref:\s+refs\/heads\/(\S+)\s+HEAD$/m.exec(out);
    if (!match) throw new GitError(`${this.displayUrl} does not say which branch is its default; pass --branch`);
    return match[1];
  }

  /** Fetches the followed branch and returns the commit at its tip. */
  async fetch(): Promise<FetchResult> {
    await this.init();
    const branch = this.branchName ?? (this.branchName = await this.defaultBranch());
    const ref = `refs/remotes/origin/${branch}`;
    await this.runGit(['--git-dir', this.bare, 'fetch', '--prune', '--no-tags', '--quiet', this.url, `+refs/heads/${branch}:${ref}`]);
    const revision = (await this.runGit(['--git-dir', this.bare, 'rev-parse', '--verify', `${ref}^{commit}`])).trim();
    const changed = revision !== this.last;
    this.last = revision;
    return { revision, branch, changed };
  }

  /**
   * A folder holding the files of `revision` and nothing else; created on first use and reused
   * after. Older checkouts beyond `keepCheckouts` (and not in `inUse`) are removed.
   */
  async checkout(revision: string, inUse: Iterable<string> = []): Promise<string> {
    if (!/^[0-9a-f]{40,64}$/.test(revision)) throw new GitError(`not a full commit SHA: ${revision}`);
    await this.init();
    const dir = path.join(this.checkoutsDir, revision);
    if (!existsSync(path.join(dir, '.git'))) {
      await rm(dir, { recursive: true, force: true });
      await this.runGit(['--git-dir', this.bare, 'worktree', 'prune']);
      await this.runGit(['--git-dir', this.bare, 'worktree', 'add', '--detach', '--force', dir, revision]);
    }
    await this.cleanup(new Set([revision, ...inUse]));
    return dir;
  }

  /** The subject line of a commit, for events and logs. */
  async subject(revision: string): Promise<string> {
    return (await this.runGit(['--git-dir', this.bare, 'log', '-1', '--format=%s', revision])).trim();
  }

  private async init(): Promise<void> {
    if (this.initialized) return;
    await mkdir(this.checkoutsDir, { recursive: true });
    if (!existsSync(path.join(this.bare, 'HEAD'))) await this.runGit(['init', '--bare', '--quiet', this.bare]);
    this.initialized = true;
  }

  private async cleanup(keepers: Set<string>): Promise<void> {
    const entries = await readdir(this.checkoutsDir, { withFileTypes: true }).catch(() => []);
    const others = entries.filter((e) => e.isDirectory() && !keepers.has(e.name)).map((e) => e.name);
    if (others.length <= this.keep) return;
    const aged = await Promise.all(others.map(async (name) => ({ name, mtime: (await stat(path.join(this.checkoutsDir, name))).mtimeMs })));
    aged.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of aged.slice(0, aged.length - this.keep)) {
      await rm(path.join(this.checkoutsDir, name), { recursive: true, force: true });
    }
    await this.runGit(['--git-dir', this.bare, 'worktree', 'prune']);
  }

  private async runGit(args: string[]): Promise<string> {
    try {
      const { stdout } = await run(this.git, args, { env: gitEnv(), timeout: this.timeoutMs, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; killed?: boolean; code?: unknown; message?: string };
      const verb = args.find((a) => !a.startsWith('-') && a !== this.bare) ?? 'git';
      const detail = e.killed
        ? `timed out after ${this.timeoutMs} ms`
        : (e.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join('; ') || String(e.code ?? e.message);
      throw new GitError(redactUrl(`git ${verb} ${this.displayUrl}: ${detail}`));
    }
  }
}
