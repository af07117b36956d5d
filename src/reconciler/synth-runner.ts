import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { targetOfSetId, type KubeObject, type ManifestSet } from '../model/manifest-set.js';

/** Limits and places of a SynthRunner. */
export interface SynthRunnerOptions {
  /** Folder for installed dependencies (per lockfile), builds (per source) and scratch space. */
  cacheDir: string;
  /** Time allowed for the synth child process. @default 120000 */
  timeoutMs?: number;
  /** Time allowed for `npm ci` and for the TypeScript build, each. @default 600000 */
  installTimeoutMs?: number;
  /** V8 heap limit of the synth child, in MiB (`--max-old-space-size`). @default 1024 */
  maxOldSpaceMb?: number;
  /** @default process.execPath */
  node?: string;
  /** @default `npm` */
  npm?: string;
  /**
   * Installations known to be complete, as folders holding a package-lock.json and node_modules
   * (e.g. the running clusterops's own): a revision with the same lockfile reuses them instead of
   * running `npm ci`.
   */
  seedInstallations?: string[];
  logger: Logger;
}

/** Which step of turning a revision into manifests failed. */
export type SynthPhase = 'install' | 'build' | 'synth' | 'output';

/** A revision could not be synthesized; `message` is what a person needs (validation problems with file:line). */
export class SynthError extends Error {
  override name = 'SynthError';

  constructor(
    readonly phase: SynthPhase,
    message: string,
  ) {
    super(message);
  }
}

/** Manifests of one revision. */
export interface SynthResult {
  sets: ManifestSet[];
  /** Time of each step, for logs. */
  timings: Partial<Record<'install' | 'build' | 'synth', number>>;
}

/** Header line the `synth -o -` output puts before each ManifestSet. */
const SET_HEADER = /^# clusterops manifest set: (\S+)\s*$/;

/** Parses the `clusterops synth -o -` output: a header line per set, then its objects as YAML documents. */
export function parseSynthOutput(text: string): ManifestSet[] {
  const sets: ManifestSet[] = [];
  let current: { id: string; lines: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    const objects: KubeObject[] = [];
    for (const doc of parseAllDocuments(current.lines.join('\n'))) {
      if (doc.errors.length > 0) throw new SynthError('output', `${current.id}: the synth output is not valid YAML: ${doc.errors[0].message}`);
      const value = doc.toJS() as KubeObject | null;
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || !value.apiVersion || !value.kind || !value.metadata?.name) {
        throw new SynthError('output', `${current.id}: the synth output holds something that is not a Kubernetes object`);
      }
      objects.push(value);
    }
    const target = targetOfSetId(current.id);
    if (!target) throw new SynthError('output', `unknown ManifestSet id ${JSON.stringify(current.id)} in the synth output`);
    sets.push({ id: current.id, target, objects });
  };
  for (const line of text.split('\n')) {
    const m = SET_HEADER.exec(line);
    if (m) {
      flush();
      current = { id: m[1], lines: [] };
    } else if (current) {
      current.lines.push(line);
    } else if (line.trim() !== '' && !line.startsWith('#')) {
      throw new SynthError('output', 'the synth output does not start with a ManifestSet header');
    }
  }
  flush();
  return sets;
}

/** Environment variables a child may see; everything else (cluster and cloud credentials) is left out. */
const SAFE_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SystemRoot'];
/** What npm needs besides: its configuration and proxies. */
const NPM_ENV = ['HOME', 'npm_config_registry', 'npm_config_cache', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

function pickEnv(names: string[], extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const n of names) if (process.env[n] !== undefined) env[n] = process.env[n];
  return { ...env, ...extra };
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
  stdout: string;
}

/** Runs a program in its own process group, killing the whole group at the deadline. */
function runChild(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; stdoutFd?: number },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    const keep = (acc: string, chunk: Buffer) => (acc + chunk.toString('utf8')).slice(-64 * 1024);
    child.stderr?.on('data', (c: Buffer) => (stderr = keep(stderr, c)));
    child.stdout?.on('data', (c: Buffer) => (stdout = keep(stdout, c)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stderr, stdout });
    });
  });
}

function sha256(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

async function hashTree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await hashTree(root, p)));
    else if (e.isFile()) out.push(`${p} ${sha256(await readFile(path.join(root, p)))}`);
  }
  return out;
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join('\n');
}

/**
 * Turns a checked-out revision into ManifestSets with that revision's own code: installs its
 * dependencies once per lockfile (`npm ci --ignore-scripts`, cached and linked into each checkout),
 * compiles its TypeScript once per source tree, then runs its `bin/clusterops.js synth` in a child
 * process with a time limit, a heap limit and an environment without cluster credentials.
 */
export class SynthRunner {
  private readonly inFlight = new Map<string, Promise<string>>();
  private seeds: Map<string, string> | undefined;

  constructor(private readonly options: SynthRunnerOptions) {}

  /** Synthesizes the revision checked out in `checkout`. */
  async synth(checkout: string): Promise<SynthResult> {
    const timings: SynthResult['timings'] = {};
    if (!existsSync(path.join(checkout, 'bin', 'clusterops.js'))) {
      throw new SynthError('synth', 'this revision has no bin/clusterops.js; it cannot be synthesized');
    }
    if (!existsSync(path.join(checkout, 'clusters'))) throw new SynthError('synth', 'this revision has no clusters/ folder');
    let t = Date.now();
    const lockHash = await this.linkDependencies(checkout);
    timings.install = Date.now() - t;
    t = Date.now();
    await this.build(checkout, lockHash);
    timings.build = Date.now() - t;
    t = Date.now();
    const sets = await this.runSynth(checkout);
    timings.synth = Date.now() - t;
    return { sets, timings };
  }

  private get cacheDir(): string {
    return this.options.cacheDir;
  }

  private async seedByLock(): Promise<Map<string, string>> {
    if (this.seeds) return this.seeds;
    const seeds = new Map<string, string>();
    for (const dir of this.options.seedInstallations ?? []) {
      const lock = await readFile(path.join(dir, 'package-lock.json')).catch(() => undefined);
      if (lock && existsSync(path.join(dir, 'node_modules'))) seeds.set(sha256(lock), path.resolve(dir, 'node_modules'));
    }
    this.seeds = seeds;
    return seeds;
  }

  /** Links `<checkout>/node_modules` to the installation for its lockfile, installing it first when needed. */
  private async linkDependencies(checkout: string): Promise<string | undefined> {
    const lockFile = path.join(checkout, 'package-lock.json');
    if (!existsSync(lockFile)) return undefined;
    const lockHash = sha256(await readFile(lockFile));
    const modules = await this.once(`deps:${lockHash}`, () => this.install(checkout, lockHash));
    const link = path.join(checkout, 'node_modules');
    await rm(link, { recursive: true, force: true });
    await symlink(modules, link, 'dir');
    return lockHash;
  }

  private async install(checkout: string, lockHash: string): Promise<string> {
    const entry = path.join(this.cacheDir, 'deps', lockHash);
    const modules = path.join(entry, 'node_modules');
    if (existsSync(path.join(entry, '.complete'))) return modules;
    const seed = (await this.seedByLock()).get(lockHash);
    if (seed) {
      await mkdir(entry, { recursive: true });
      await rm(modules, { recursive: true, force: true });
      await symlink(seed, modules, 'dir');
      await writeFile(path.join(entry, '.complete'), 'seed\n');
      return modules;
    }
    await mkdir(path.join(this.cacheDir, 'deps'), { recursive: true });
    const scratch = await mkdtemp(path.join(this.cacheDir, 'deps', `.install-${lockHash.slice(0, 12)}-`));
    try {
      for (const f of ['package.json', 'package-lock.json', '.npmrc']) {
        if (existsSync(path.join(checkout, f))) await cp(path.join(checkout, f), path.join(scratch, f));
      }
      this.options.logger.info({ lockHash: lockHash.slice(0, 12) }, 'installing dependencies of a new lockfile');
      const r = await runChild(
        this.options.npm ?? 'npm',
        ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
        { cwd: scratch, env: pickEnv([...SAFE_ENV, ...NPM_ENV], {}), timeoutMs: this.options.installTimeoutMs ?? 600_000 },
      );
      if (r.timedOut) throw new SynthError('install', `npm ci timed out after ${this.options.installTimeoutMs ?? 600_000} ms`);
      if (r.code !== 0) throw new SynthError('install', `npm ci failed:\n${lastLines(r.stderr, 15)}`);
      await writeFile(path.join(scratch, '.complete'), 'npm ci\n');
      await rm(entry, { recursive: true, force: true });
      await rename(scratch, entry);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return modules;
  }

  /** Compiles the revision's TypeScript into `<checkout>/dist`, or copies the build of an identical source tree. */
  private async build(checkout: string, lockHash: string | undefined): Promise<void> {
    const tsconfig = path.join(checkout, 'tsconfig.json');
    if (!existsSync(tsconfig) || !existsSync(path.join(checkout, 'src')) || existsSync(path.join(checkout, 'dist'))) return;
    const key = sha256(
      lockHash ?? '',
      await readFile(tsconfig),
      await readFile(path.join(checkout, 'package.json')).catch(() => ''),
      (await hashTree(path.join(checkout, 'src'))).join('\n'),
    );
    const cached = await this.once(`build:${key}`, () => this.compile(checkout, key));
    if (!existsSync(path.join(checkout, 'dist'))) await cp(cached, path.join(checkout, 'dist'), { recursive: true });
  }

  private async compile(checkout: string, key: string): Promise<string> {
    const cached = path.join(this.cacheDir, 'builds', key, 'dist');
    if (existsSync(path.join(this.cacheDir, 'builds', key, '.complete'))) return cached;
    const tsc = path.join(checkout, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!existsSync(tsc)) throw new SynthError('build', 'this revision has a tsconfig.json but typescript is not among its dependencies');
    const config = path.join(checkout, '.clusterops-build.tsconfig.json');
    await writeFile(
      config,
      JSON.stringify({
        extends: './tsconfig.json',
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.test.ts'],
        compilerOptions: { outDir: './dist', noEmit: false, sourceMap: false, declaration: false, incremental: false },
      }),
    );
    const r = await runChild(this.options.node ?? process.execPath, [tsc, '-p', config], {
      cwd: checkout,
      env: pickEnv(SAFE_ENV, { HOME: await this.emptyHome() }),
      timeoutMs: this.options.installTimeoutMs ?? 600_000,
    });
    if (r.timedOut) throw new SynthError('build', 'the TypeScript build timed out');
    if (r.code !== 0) throw new SynthError('build', `this revision does not compile:\n${lastLines(r.stdout || r.stderr, 20)}`);
    const target = path.join(this.cacheDir, 'builds', key);
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    await cp(path.join(checkout, 'dist'), cached, { recursive: true });
    await writeFile(path.join(target, '.complete'), '');
    return cached;
  }

  private async runSynth(checkout: string): Promise<ManifestSet[]> {
    const scratch = path.join(this.cacheDir, 'scratch');
    await mkdir(scratch, { recursive: true });
    const dir = await mkdtemp(path.join(scratch, 'synth-'));
    const outFile = path.join(dir, 'manifests.yaml');
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    try {
      const out = await open(outFile, 'w');
      let r: ChildResult;
      try {
        r = await runChild(
          this.options.node ?? process.execPath,
          [`--max-old-space-size=${this.options.maxOldSpaceMb ?? 1024}`, path.join('bin', 'clusterops.js'), 'synth', '--clusters', 'clusters', '-o', '-'],
          { cwd: checkout, env: pickEnv(SAFE_ENV, { HOME: await this.emptyHome(), TMPDIR: dir, NODE_ENV: 'production' }), timeoutMs, stdoutFd: out.fd },
        );
      } finally {
        await out.close();
      }
      if (r.timedOut) throw new SynthError('synth', `synth did not finish within ${timeoutMs} ms`);
      if (r.code !== 0) {
        const why = r.signal ? `was killed by ${r.signal} (out of memory?)` : `exited with ${r.code}`;
        throw new SynthError('synth', `synth ${why}:\n${lastLines(r.stderr, 30) || '(no output)'}`);
      }
      return parseSynthOutput(await readFile(outFile, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async emptyHome(): Promise<string> {
    const home = path.join(this.cacheDir, 'home');
    await mkdir(home, { recursive: true });
    return home;
  }

  /** Runs `make` at most once at a time per key; later callers share the result. */
  private once(key: string, make: () => Promise<string>): Promise<string> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = make().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }
}
