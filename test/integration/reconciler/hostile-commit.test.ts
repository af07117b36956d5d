// Issue 10's hostile commit, against the real SynthRunner, a real git repository and the real
// sandbox: what the revision's code manages to read, what reaches the SynthError message, whether
// a memory hog is stopped, and whether anything of it outlives a SIGKILLed reconciler.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../../src/reconciler/git-source.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { SynthRunner } from '../../../src/reconciler/synth-runner.js';
import { hostileRepo, type HostileMode } from './_hostile-commit.js';
import { PROJECT_ROOT } from './_project-repo.js';

const REGISTER = path.join(PROJECT_ROOT, 'test', 'integration', '_ts-register.mjs');
const OWNER = path.join(PROJECT_ROOT, 'test', 'integration', 'reconciler', '_synth-owner.ts');

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The secrets the stand-in reconciler holds, each a random value no one else has. */
function secrets() {
  const r = (p: string) => `${p}-${randomBytes(12).toString('hex')}`;
  const key = `-----BEGIN EC PRIVATE KEY-----\n${randomBytes(96).toString('base64')}\n-----END EC PRIVATE KEY-----\n`;
  return { cloudKey: r('aws'), repoToken: r('repotoken'), kubeToken: r('kubetoken'), keyData: Buffer.from(key).toString('base64'), webhook: r('hook') };
}
type Secrets = ReturnType<typeof secrets>;

/** The secret files, as the reconciler has them, in a folder of their own. */
function secretFiles(s: Secrets): { kubeconfig: string; webhookSecret: string } {
  const dir = tempDir('clusterops-secrets-');
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
      'contexts: [{name: c, context: {cluster: c, user: admin}}]',
      'current-context: c',
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${s.kubeToken}`,
      `    client-key-data: ${s.keyData}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const webhookSecret = path.join(dir, 'webhook-secret');
  writeFileSync(webhookSecret, `${s.webhook}\n`, { mode: 0o600 });
  return { kubeconfig, webhookSecret };
}

/** Every secret, in each form the hostile code could find it. */
function forms(s: Secrets): string[] {
  return [s.cloudKey, s.repoToken, s.kubeToken, s.keyData, Buffer.from(s.keyData, 'base64').toString('utf8').split('\n')[1], s.webhook];
}

/** A checkout of the hostile commit, through GitSource as the reconciler takes it. */
async function hostileCheckout(mode: HostileMode, files: { kubeconfig: string; webhookSecret: string }, marker?: string): Promise<string> {
  const repo = hostileRepo(mode, files, marker);
  dirs.push(repo.dir);
  const source = new GitSource({ url: repo.url, dir: path.join(tempDir('clusterops-git-'), 'git') });
  const { revision } = await source.fetch();
  return source.checkout(revision);
}

/** The stand-in reconciler: a process with the secrets, running a SynthRunner on `checkout`. */
function owner(s: Secrets, files: { kubeconfig: string; webhookSecret: string }, checkout: string, insecure = false) {
  const config = {
    checkout,
    cacheDir: tempDir('clusterops-cache-'),
    repo: `https://git:${s.repoToken}@git.example.com/fleet.git`,
    kubeconfig: files.kubeconfig,
    webhookSecretFile: files.webhookSecret,
    insecure,
  };
  const child = spawn(process.execPath, ['--import', REGISTER, OWNER, JSON.stringify(config)], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SECRET_ACCESS_KEY: s.cloudKey, KUBECONFIG: files.kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const waiters: Array<() => void> = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, unknown>);
      buffer = buffer.slice(i + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiters.splice(0)) w();
  });
  /** The first line that has one of `keys`. */
  const line = async (...keys: string[]): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = lines.find((l) => keys.some((k) => k in l));
      if (found) return found;
      if (gone) throw new Error(`owner exited without ${keys.join(' or ')}: ${stderr}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { child, line };
}

/** What the owner's SynthRunner returned: the sets, or the SynthError message. */
async function resultOf(o: ReturnType<typeof owner>): Promise<{ sets?: Array<{ objects: Array<{ data: Record<string, string> }> }>; error?: string }> {
  return o.line('sets', 'error') as never;
}

describe('a hostile commit', () => {
  it('(a) finds none of the reconciler\'s secrets: not in /proc of its parents, not in its environment, not the kubeconfig or webhook secret', async () => {
    const s = secrets();
    const files = secretFiles(s);
    const o = owner(s, files, await hostileCheckout('report', files));
    const result = await resultOf(o);
    expect(result.error).toBeUndefined();
    const loot = result.sets![0].objects[0].data;
    // It ran and looked: it saw its own (allowlisted) environment.
    expect(loot.env).toContain('PATH');
    const everything = JSON.stringify(loot);
    for (const secret of forms(s)) expect(everything).not.toContain(secret);
    expect(loot.kubeconfig).toBe('');
    expect(loot.webhookSecret).toBe('');
  });

  it('(b) cannot print them into the SynthError message, even when the sandbox is off (--insecure-synth)', async () => {
    const s = secrets();
    const files = secretFiles(s);
    const checkout = await hostileCheckout('leak', files);
    for (const insecure of [true, false]) {
      const result = await resultOf(owner(s, files, checkout, insecure));
      expect(result.error).toContain('found kubeconfig');
      for (const secret of forms(s)) expect(result.error).not.toContain(secret);
      expect(result.error!.length).toBeLessThan(2300);
    }
  });

  it('(c) is stopped when it allocates 3 GiB of Buffers, with a message that says so', async () => {
    const files = secretFiles(secrets());
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger(), timeoutMs: 300_000 });
    await expect(runner.synth(await hostileCheckout('hog', files))).rejects.toThrow(/synth ran out of memory \(limit: 3072 MiB of address space/);
  });

  it('(d) leaves no process behind when the reconciler is SIGKILLed', async () => {
    const s = secrets();
    const files = secretFiles(s);
    const marker = `hostile-${randomBytes(6).toString('hex')}`;
    const checkout = await hostileCheckout('linger', files, marker);
    const o = owner(s, files, checkout);
    const seen = new Set<number>();
    try {
      const { owner: ownerPid } = (await o.line('owner')) as { owner: number };
      // Wait until the synth child and its detached grandchild both run.
      await until(() => {
        for (const pid of hostileProcesses(checkout, marker)) seen.add(pid);
        return hostileProcesses(checkout, marker).length >= 2;
      }, 'the hostile synth and its grandchild to start');
      process.kill(ownerPid, 'SIGKILL');
      await until(() => hostileProcesses(checkout, marker).length === 0, 'every hostile process to be gone');
    } finally {
      o.child.kill('SIGKILL');
      for (const pid of [...seen, ...hostileProcesses(checkout, marker)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
  });
});

/** Live (not zombie) processes of the hostile commit: its synth (cwd in the checkout) and anything carrying its marker. */
function hostileProcesses(checkout: string, marker: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const isNode = cmdline.includes('clusterops.js') || cmdline.includes(marker);
      if (isNode && (cmdline.includes(marker) || readlinkSync(`/proc/${p}/cwd`) === checkout)) found.push(Number(p));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Resolves once `condition` holds; a safety net of 60 s turns a hang into a failure that says what it waited for. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
