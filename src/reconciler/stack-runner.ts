/**
 * `pulumi up` of one stack with a revision's own Pulumi program (`--pulumi-stack`), through the
 * Automation API, before anything of that revision is applied: so the identities of its clusters
 * exist before the Clusters that use them. The program is the revision's code, so the whole engine
 * (CLI, language host, program, kubernetes provider, dynamic provider) runs in the Sandbox, with
 * the least-privilege identity of StackIdentity as its only credential and the passphrase and state
 * backend given to it alone; nothing of the reconciler's environment or files reaches it. Its
 * network namespace is its own too: the one way out is a forwarder to the API server (_api-tunnel.ts).
 */
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { PulumiEngine } from '../pulumi/engine.js';
import { explainPulumiFailure } from '../pulumi/failures.js';
import { openApiTunnel, TUNNEL_PORT, TUNNEL_SCRIPT } from './_api-tunnel.js';
import { hashTree, sha256 } from './_tree-hash.js';
import { excerpt, type Redactor } from './redact.js';
import { checkoutDependencies, limitHit, SANDBOX_UID, sandboxEnv, scratchDir, type Sandbox, type SandboxLimits } from './sandbox.js';
import type { IssuedIdentity } from './stack-identity.js';

/** How a stack step of a revision ended: `unchanged` when its inputs equal those of the last up, so no up ran. */
export type StackUpResult = 'succeeded' | 'failed' | 'unchanged';

/** What the reconciler reports of the stack step of one revision (status, metrics, logs). */
export interface StackUpReport {
  stack: string;
  revision: string;
  result: StackUpResult;
  /** Wall time of compile + up (0 when unchanged). */
  durationMs: number;
  /** Pulumi's counts of the up, e.g. `{create: 4, same: 12}`. */
  changes?: Record<string, number>;
  /** When the step ended, RFC 3339. */
  at: string;
  /** Why it failed: bounded and redacted. */
  error?: string;
  /** With `unchanged`: the revision whose up these inputs were last brought up by. */
  lastUpRevision?: string;
}

/** A failed stack step: the revision is not applied. */
export class StackUpError extends Error {
  override name = 'StackUpError';
  constructor(
    message: string,
    readonly report: StackUpReport,
  ) {
    super(message);
  }
}

/** Settings of a StackRunner. */
export interface StackRunnerOptions {
  /** The stack (it must exist in the backend; its settings are the revision's `Pulumi.<stack>.yaml`). */
  stack: string;
  /** State backend, a `file://` URL (the sandbox has no way to a cloud backend's credentials). */
  backend: string;
  /** File with the stack's passphrase; copied for each run, never logged. */
  passphraseFile: string;
  /** Folder for the engine's PULUMI_HOME, compiled programs and per-run scratch. */
  cacheDir: string;
  sandbox: Sandbox;
  /** The engine the tools/ scripts built. */
  engine: PulumiEngine;
  /** Grants and issues the program's identity for the stages of a revision. */
  identity: { issue(stages: readonly string[], previous?: readonly string[]): Promise<IssuedIdentity> };
  /** Time allowed for compile and up, each. @default 900000 */
  timeoutMs?: number;
  /** Address space of each process in the sandbox, MiB (Go programs reserve more than node). @default 16384 */
  addressSpaceMb?: number;
  redactor: Redactor;
  logger: Logger;
  /** @default process.execPath */
  node?: string;
}

/** What decides whether a revision needs an up: the program, the declarations and the stack's settings. */
const INPUT_TREES = ['stacks', 'clusters'];
const inputFiles = (stack: string) => ['Pulumi.yaml', `Pulumi.${stack}.yaml`, 'package-lock.json'];

/** Runs the stack step of revisions; see the file comment. */
export class StackRunner {
  /** Inputs and stages of the last up that succeeded (in memory: after a restart the first revision runs up, a no-op). */
  private last: { key: string; stages: string[]; revision: string } | undefined;

  constructor(private readonly o: StackRunnerOptions) {}

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? 900_000;
  }

  private limits(): SandboxLimits {
    return { addressSpaceMb: this.o.addressSpaceMb ?? 16_384, cpuSeconds: Math.ceil(this.timeoutMs / 1000), fileSizeMb: 256 };
  }

  /** The identity of a revision's stack inputs. */
  async inputsKey(checkout: string): Promise<string> {
    const parts: string[] = [this.o.stack];
    for (const t of INPUT_TREES) parts.push(t, ...(existsSync(path.join(checkout, t)) ? await hashTree(path.join(checkout, t)) : []));
    for (const f of inputFiles(this.o.stack)) parts.push(f, sha256(await readFile(path.join(checkout, f)).catch(() => '')));
    return sha256(...parts);
  }

  /**
   * Runs `pulumi up` for the revision in `checkout` when its inputs differ from the last successful
   * up; resolves the report (`unchanged` when none was needed), throws a StackUpError when it failed.
   */
  async upIfChanged(checkout: string, revision: string, stages: readonly string[]): Promise<StackUpReport> {
    const key = await this.inputsKey(checkout);
    if (this.last?.key === key) {
      return { stack: this.o.stack, revision, result: 'unchanged', durationMs: 0, at: new Date().toISOString(), lastUpRevision: this.last.revision };
    }
    const started = Date.now();
    const log = this.o.logger.child({ revision: revision.slice(0, 12), stack: this.o.stack });
    try {
      for (const f of ['Pulumi.yaml', `Pulumi.${this.o.stack}.yaml`]) {
        if (!existsSync(path.join(checkout, f))) throw new Error(`this revision has no ${f} (the settings of stack ${this.o.stack} belong in the repository)`);
      }
      log.info('stack inputs changed; compiling stacks/ and running pulumi up');
      await this.compile(checkout);
      const identity = await this.o.identity.issue(stages, this.last?.stages);
      this.o.redactor.add(identity.token);
      const changes = await this.up(checkout, identity);
      this.last = { key, stages: [...stages], revision };
      const report: StackUpReport = { stack: this.o.stack, revision, result: 'succeeded', durationMs: Date.now() - started, changes, at: new Date().toISOString() };
      log.info({ changes, ms: report.durationMs }, 'pulumi up succeeded');
      return report;
    } catch (error) {
      const message = this.o.redactor.redact(error instanceof Error ? error.message : String(error)).slice(0, 4000);
      const report: StackUpReport = { stack: this.o.stack, revision, result: 'failed', durationMs: Date.now() - started, at: new Date().toISOString(), error: message };
      log.error({ err: message, ms: report.durationMs }, 'pulumi up failed; the revision is not applied');
      throw new StackUpError(`pulumi up of stack ${this.o.stack} failed: ${message}`, report);
    }
  }

  /** Type-checks and emits the revision's stacks/ into the checkout with its own tsc. */
  private async compile(checkout: string): Promise<void> {
    const tsc = path.join(checkout, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!existsSync(path.join(checkout, 'stacks', 'tsconfig.json'))) throw new Error('this revision has no stacks/tsconfig.json');
    if (!existsSync(tsc)) throw new Error('typescript is not among this revision\'s dependencies');
    const key = sha256(
      await readFile(path.join(checkout, 'package-lock.json')).catch(() => ''),
      await readFile(path.join(checkout, 'tsconfig.json')).catch(() => ''),
      (await hashTree(path.join(checkout, 'stacks'))).join('\n'),
      existsSync(path.join(checkout, 'src')) ? (await hashTree(path.join(checkout, 'src'))).join('\n') : '',
    );
    const cached = path.join(path.resolve(this.o.cacheDir), 'builds', key);
    if (!existsSync(path.join(cached, '.complete'))) {
      const work = await scratchDir(this.o.cacheDir, 'stacks-build-');
      try {
        const outDir = path.join(work, 'dist');
        await mkdir(outDir);
        await this.o.sandbox.giveWritable(outDir);
        await this.o.sandbox.giveReadable(checkout);
        const config = path.join(checkout, '.clusterops-stacks.tsconfig.json');
        await writeFile(
          config,
          JSON.stringify({
            extends: './stacks/tsconfig.json',
            include: ['stacks/**/*.ts'],
            compilerOptions: { rootDir: '.', outDir, noEmit: false, sourceMap: false, declaration: false, incremental: false },
          }),
        );
        const r = await this.o.sandbox.run({
          argv: [this.o.node ?? process.execPath, tsc, '-p', config],
          cwd: checkout,
          readOnly: await checkoutDependencies(checkout),
          writable: [outDir],
          env: sandboxEnv(1024),
          limits: { addressSpaceMb: 3072, cpuSeconds: Math.ceil(this.timeoutMs / 1000), fileSizeMb: 64 },
          timeoutMs: this.timeoutMs,
        });
        if (r.code !== 0) {
          const why = limitHit(r) ? `hit its ${limitHit(r)} limit` : 'does not compile';
          throw new Error(`stacks/ ${why}:\n${excerpt(r.stdout || r.stderr, this.o.redactor, { maxLines: 20 })}`);
        }
        await rm(cached, { recursive: true, force: true });
        await mkdir(path.dirname(cached), { recursive: true });
        await cp(outDir, path.join(cached, 'dist'), { recursive: true });
        await writeFile(path.join(cached, '.complete'), '');
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    await cp(path.join(cached, 'dist'), path.join(checkout, 'dist'), { recursive: true, force: true });
  }

  /**
   * The engine's PULUMI_HOME for the sandbox: writable (workspace settings, locks), with a copy of the
   * built plugins linked in, readable by the sandbox's user (the tools cache keeps them 0700),
   * copied once per plugin build.
   */
  private async pulumiHome(): Promise<{ home: string; plugins: string }> {
    if (!this.o.engine.pulumiHome) throw new Error('no PULUMI_HOME with the kubernetes provider (run tools/build-pulumi-kubernetes.sh)');
    const source = path.join(this.o.engine.pulumiHome, 'plugins');
    const root = path.resolve(this.o.cacheDir);
    const stamp = (await readdir(source, { withFileTypes: true, recursive: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(source, path.join(e.parentPath, e.name)))
      .sort();
    const sizes = await Promise.all(stamp.map(async (f) => `${f} ${(await stat(path.join(source, f))).size} ${(await stat(path.join(source, f))).mtimeMs}`));
    const key = sha256(...sizes).slice(0, 16);
    const plugins = path.join(root, 'plugins', key);
    if (!existsSync(path.join(plugins, '.complete'))) {
      await rm(plugins, { recursive: true, force: true });
      await cp(source, plugins, { recursive: true });
      await chmod(plugins, 0o755);
      for (const e of await readdir(plugins, { withFileTypes: true, recursive: true })) {
        const p = path.join(e.parentPath, e.name);
        await chmod(p, e.isDirectory() || (await stat(p)).mode & 0o100 ? 0o755 : 0o644);
      }
      await writeFile(path.join(plugins, '.complete'), '');
    }
    const home = path.join(root, 'pulumi-home');
    await mkdir(home, { recursive: true });
    await rm(path.join(home, 'plugins'), { force: true, recursive: true });
    await symlink(plugins, path.join(home, 'plugins'), 'dir');
    await this.giveTree(home);
    return { home, plugins };
  }

  /** Hands a folder and everything in it to the sandbox's user (as root; otherwise the user namespace maps the reconciler's own uid). */
  private async giveTree(dir: string): Promise<void> {
    if (this.o.sandbox.kind !== 'bubblewrap-root') return;
    await chown(dir, SANDBOX_UID, SANDBOX_UID);
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (e.isSymbolicLink()) continue;
      await chown(path.join(e.parentPath, e.name), SANDBOX_UID, SANDBOX_UID);
    }
  }

  /** The backend's folder, from its `file://` URL. */
  private backendDir(): string {
    const url = new URL(this.o.backend);
    if (url.protocol !== 'file:') throw new Error(`the Pulumi backend must be a file:// URL here, not ${url.protocol}`);
    return path.resolve(decodeURIComponent(url.pathname));
  }

  /** `pulumi up` in the sandbox through the Automation API; resolves Pulumi's counts. */
  private async up(checkout: string, identity: IssuedIdentity): Promise<Record<string, number>> {
    const run = await scratchDir(this.o.cacheDir, 'stack-run-');
    const tunnels: Array<{ close(): Promise<void> }> = [];
    try {
      await this.o.sandbox.giveWritable(run);
      const kubeconfig = path.join(run, 'kubeconfig');
      // The sandbox has no network: the program reaches the API server alone, through a forwarder to a unix socket.
      await writeFile(kubeconfig, identity.kubeconfig(`https://127.0.0.1:${TUNNEL_PORT}`), { mode: 0o400 });
      const tunnel = await openApiTunnel(path.join(run, 'api.sock'), identity.server, this.o.sandbox.kind === 'bubblewrap-root' ? SANDBOX_UID : undefined);
      tunnels.push(tunnel);
      const passphrase = path.join(run, 'passphrase');
      await writeFile(passphrase, await readFile(this.o.passphraseFile), { mode: 0o400 });
      const { home, plugins } = await this.pulumiHome();
      const backend = this.backendDir();
      await mkdir(backend, { recursive: true });
      await this.giveTree(backend);
      await this.giveTree(run);
      await this.o.sandbox.giveReadable(checkout);
      const deps = await checkoutDependencies(checkout);
      const modules = deps[0] ?? path.join(checkout, 'node_modules');
      const node = this.o.node ?? process.execPath;
      const env: Record<string, string> = {
        // The CLI and language host; the dynamic-provider host of the revision's own @pulumi/pulumi; node.
        PATH: [this.o.engine.pulumiDir, path.join(modules, '@pulumi', 'pulumi'), path.dirname(node), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
        HOME: '/tmp',
        TMPDIR: '/tmp',
        LANG: 'C.UTF-8',
        // Pulumi's Go CLI asks for the current user; the sandbox has no /etc/passwd.
        USER: 'nobody',
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE_FILE: passphrase,
        KUBECONFIG: kubeconfig,
        // Pulumi runs the program in its main folder (dist/stacks); the declarations are the checkout's.
        CLUSTEROPS_CLUSTERS_DIR: path.join(checkout, 'clusters'),
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
        PULUMI_AUTOMATION_API: 'true',
        NODE_OPTIONS: '--max-old-space-size=2048',
      };
      const sandbox = this.o.sandbox;
      const limits = this.limits();
      const timeoutMs = this.timeoutMs;
      const readOnly = [...deps, this.o.engine.pulumiDir, plugins];
      const socket = path.join(run, 'api.sock');
      const { LocalWorkspace, PulumiCommand } = await import('@pulumi/pulumi/automation/index.js');
      const real = await PulumiCommand.get({ root: path.dirname(this.o.engine.pulumiDir), skipVersionCheck: true });
      // Every command the Automation API runs goes through the sandbox; none inherits this process's environment.
      const sandboxed = Object.assign(Object.create(Object.getPrototypeOf(real) as object) as typeof real, real, {
        run: async (args: string[]) => {
          const pulumiArgv = [real.command, ...args, ...(args.includes('--non-interactive') ? [] : ['--non-interactive'])];
          const argv = [node, '-e', TUNNEL_SCRIPT, socket, String(TUNNEL_PORT), ...pulumiArgv];
          const t0 = Date.now();
          const r = await sandbox.run({ argv, cwd: checkout, readOnly, writable: [home, backend, run], env, limits, timeoutMs, keepBytes: 16 * 1024 * 1024 });
          this.o.logger.debug({ command: args[0], code: r.code, ms: Date.now() - t0 }, 'pulumi command in the sandbox');
          if (r.code !== 0) {
            const why = limitHit(r) ? ` (hit its ${limitHit(r)} limit)` : '';
            throw Object.assign(new Error(`pulumi ${args[0]} exited with ${r.code ?? r.signal}${why}\n${r.stdout.slice(-8000)}`), { stderr: r.stderr.slice(-8000) });
          }
          return { stdout: r.stdout, stderr: r.stderr, code: 0 };
        },
      });
      try {
        const ws = await LocalWorkspace.create({ workDir: checkout, pulumiCommand: sandboxed, envVars: {} });
        const { Stack } = await import('@pulumi/pulumi/automation/index.js');
        const stack = await Stack.select(this.o.stack, ws);
        const result = await stack.up({ color: 'never' });
        return (result.summary.resourceChanges ?? {}) as Record<string, number>;
      } catch (error) {
        throw new Error(explainPulumiFailure(error));
      }
    } finally {
      for (const t of tunnels) await t.close();
      await rm(run, { recursive: true, force: true });
    }
  }
}
