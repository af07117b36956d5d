import { mkdtempSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitError, GitSource, redactUrl } from '../../../src/reconciler/git-source.js';
import { TestRepo } from './_git-repo.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(branch = 'main') {
  const repo = new TestRepo(branch);
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-source-'));
  cleanups.push(() => repo.cleanup(), () => rmSync(work, { recursive: true, force: true }));
  return { repo, work };
}

describe('GitSource', () => {
  it('fetches the tip of the branch, and a new commit after it', async () => {
    const { repo, work } = setup();
    repo.write('clusters/staging/a.yaml', 'one\n');
    const first = repo.commit('first');
    const source = new GitSource({ url: repo.url, branch: 'main', dir: work });

    const r1 = await source.fetch();
    expect(r1).toEqual({ revision: first, branch: 'main', changed: true });
    expect((await source.fetch()).changed).toBe(false);

    repo.write('clusters/staging/a.yaml', 'two\n');
    const second = repo.commit('second');
    const r2 = await source.fetch();
    expect(r2.revision).toBe(second);
    expect(r2.changed).toBe(true);
    expect(await source.subject(second)).toBe('second');
  });

  it('checks each revision out into its own folder with that revision\'s files', async () => {
    const { repo, work } = setup();
    repo.write('clusters/staging/a.yaml', 'one\n');
    const first = repo.commit('first');
    repo.write('clusters/staging/a.yaml', 'two\n');
    repo.write('clusters/staging/b.yaml', 'new\n');
    const second = repo.commit('second');
    const source = new GitSource({ url: repo.url, branch: 'main', dir: work });
    await source.fetch();

    const d1 = await source.checkout(first);
    const d2 = await source.checkout(second);
    expect(d1).not.toBe(d2);
    expect(readFileSync(path.join(d1, 'clusters/staging/a.yaml'), 'utf8')).toBe('one\n');
    expect(existsSync(path.join(d1, 'clusters/staging/b.yaml'))).toBe(false);
    expect(readFileSync(path.join(d2, 'clusters/staging/a.yaml'), 'utf8')).toBe('two\n');
    // Checking out again reuses the folder.
    expect(await source.checkout(first)).toBe(d1);
  });

  it('keeps only a few old checkouts besides the ones in use', async () => {
    const { repo, work } = setup();
    const shas: string[] = [];
    for (let i = 0; i < 5; i++) {
      repo.write('f.txt', `${i}\n`);
      shas.push(repo.commit(`c${i}`));
    }
    const source = new GitSource({ url: repo.url, branch: 'main', dir: work, keepCheckouts: 1 });
    await source.fetch();
    for (const sha of shas) await source.checkout(sha, [shas[0]]);
    const left = readdirSync(path.join(work, 'checkouts')).sort();
    expect(left).toEqual([shas[0], shas[3], shas[4]].sort());
  });

  it('follows the remote\'s default branch when none is given', async () => {
    const { repo, work } = setup('trunk');
    const sha = repo.commit('on trunk');
    repo.git('branch', 'other');
    const source = new GitSource({ url: repo.url, dir: work });
    expect(await source.defaultBranch()).toBe('trunk');
    const r = await source.fetch();
    expect(r).toEqual({ revision: sha, branch: 'trunk', changed: true });
    expect(source.branch).toBe('trunk');
  });

  it('fails with a GitError naming the URL when the branch does not exist', async () => {
    const { repo, work } = setup();
    repo.commit('first');
    const source = new GitSource({ url: repo.url, branch: 'nope', dir: work });
    await expect(source.fetch()).rejects.toThrow(GitError);
    await expect(source.fetch()).rejects.toThrow(/fetch file:\/\//);
  });

  it('fails on an unreachable repository without prompting, and keeps credentials out of the message', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'clusterops-source-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const source = new GitSource({ url: 'https://user:sekrit-token@127.0.0.1:1/repo.git', branch: 'main', dir: work, timeoutMs: 20_000 });
    const error = (await source.fetch().then(() => undefined, (e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(GitError);
    expect(error.message).not.toContain('sekrit-token');
    expect(error.message).toContain('https://***@127.0.0.1:1/repo.git');
  });

  it('redacts user information in any URL of a text', () => {
    expect(redactUrl('git fetch https://x-access-token:ghp_abc@github.com/o/r.git failed')).toBe('git fetch https://***@github.com/o/r.git failed');
    expect(redactUrl('ssh://git@host/r.git')).toBe('ssh://***@host/r.git');
    expect(redactUrl('file:///tmp/repo')).toBe('file:///tmp/repo');
  });
});
