// A pull request as `clusterops ci` sees it: the files under `root` committed on `main`, then
// checked out on a `pr` branch; returns git in that folder, as its author.
import { execFileSync } from 'node:child_process';

export function prRepo(root: string): (...args: string[]) => string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  git('checkout', '-qb', 'pr');
  return git;
}
