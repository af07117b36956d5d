import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileOptions, type ReconcileFlags } from '../../../src/cli/commands/_reconcile-flags.js';
import { reconcileCommand } from '../../../src/cli/commands/reconcile.js';
import { ExitCode, UsageError } from '../../../src/cli/exit-codes.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { runCommand } from '../../_run-command.js';

/** Runs `clusterops reconcile` in-process; a thrown error becomes its exit code and `error:` line, as src/cli/main.ts does. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    return await runCommand(reconcileCommand, args.slice(1));
  } catch (error) {
    return { code: error instanceof UsageError ? ExitCode.usage : ExitCode.failed, stderr: `error: ${(error as Error).message}\n` };
  }
}

describe('clusterops reconcile flags', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-flags-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  let api: Server;
  let connections = 0;

  beforeAll(async () => {
    // A stand-in API server that only counts who calls it.
    api = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const port = (api.address() as { port: number }).port;
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t0ken-value}}]\n`,
    );
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes every path absolute when parsing, the default relative --cache-dir included', () => {
    const flags: ReconcileFlags = { repo: 'file:///srv/fleet', interval: '30s', listen: ':8080', cacheDir: '.clusterops/reconciler', leaderElect: true, concurrency: '4' };
    const options = reconcileOptions({ ...flags, kubeconfig: path.relative(process.cwd(), kubeconfig) }, silentLogger());
    expect(options.cacheDir).toBe(path.resolve('.clusterops/reconciler'));
    expect(options.kubeconfig).toBe(kubeconfig);
    expect(path.isAbsolute(reconcileOptions({ ...flags, repo: path.relative(process.cwd(), dir) }, silentLogger()).repo)).toBe(true);
  });

  it('exits 2 on a usage error, found before the API server is contacted', async () => {
    const base = ['reconcile', '--once', '--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache')];
    const cases: Array<[string[], RegExp]> = [
      [['--repo', 'file:///srv/fleet', '--listen', 'not-an-address'], /--listen "not-an-address" is not host:port/],
      [['--repo', 'file:///srv/fleet', '--webhook-secret-file', path.join(dir, 'missing')], /--webhook-secret-file .*missing: does not exist/],
      [['--repo', 'no such repo'], /--repo "no such repo" is neither a git URL/],
      [['--repo', 'file:///srv/fleet', '--interval', '5 minutes'], /--interval: "5 minutes" is not a duration/],
      [['--repo', 'file:///srv/fleet', '--kubeconfig', path.join(dir, 'missing.kubeconfig')], /--kubeconfig .*missing.kubeconfig: does not exist/],
      [['--repo', 'file:///srv/fleet', '--pulumi-stack', 'mgmt'], /--pulumi-stack needs --pulumi-backend file:\/\/\/PATH/],
      [['--repo', 'file:///srv/fleet', '--pulumi-stack', 'mgmt', '--pulumi-backend', 's3://bucket'], /--pulumi-stack needs --pulumi-backend file:\/\/\/PATH/],
      [['--repo', 'file:///srv/fleet', '--pulumi-stack', 'mgmt', '--pulumi-backend', 'file:///srv/state'], /--pulumi-stack needs --pulumi-passphrase-file FILE/],
      [['--repo', 'file:///srv/fleet', '--pulumi-stack', 'mgmt', '--pulumi-backend', 'file:///srv/state', '--pulumi-passphrase-file', path.join(dir, 'nope')], /--pulumi-passphrase-file .*nope: does not exist/],
      [['--repo', 'file:///srv/fleet', '--pulumi-stack', 'a b', '--pulumi-backend', 'file:///srv/state'], /--pulumi-stack "a b" is not a stack name/],
      [['--repo', 'file:///srv/fleet', '--pulumi-backend', 'file:///srv/state'], /--pulumi-backend and --pulumi-passphrase-file go with --pulumi-stack NAME/],
    ];
    for (const [args, message] of cases) {
      const run = await cli([...base, ...args]);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    expect(connections).toBe(0);
  });

  it('refuses to start without a sandbox, saying why, unless --insecure-synth is given', async () => {
    const before = process.env.PATH;
    process.env.PATH = dir; // no bwrap, setpriv or prlimit here
    try {
      const run = await cli(['reconcile', '--once', '--repo', 'file:///srv/fleet', '--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("cannot sandbox the revisions' code: bubblewrap (bwrap) is not installed");
      expect(run.stderr).toContain('pass --insecure-synth');
      expect(connections).toBe(0);
    } finally {
      process.env.PATH = before;
    }
  });
});
