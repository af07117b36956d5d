import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BlockedDeclaration } from '../model/blocked-declaration.js';
import type { ManifestSet } from '../model/manifest-set.js';
import { runChild, type ChildResult } from './_run-child.js';
import { hashTree, sha256 } from './_tree-hash.js';
import { excerpt, Redactor } from './redact.js';
import { withProgress } from './progress.js';
import { checkoutDependencies, limitHit, Sandbox, sandboxEnv, scratchDir, type SandboxLimits } from './sandbox.js';
import { SynthError } from './synth-error.js';
import { findHelm, HELM_ENV, HelmUnavailableError } from '../helm/helm-binary.js';
import { ChartError } from '../helm/chart-dir.js';
import { CHART_CACHE_ENV, CHART_PULL_ENV, pullRemoteChart } from '../helm/chart-pull.js';
import { remoteChartsOf } from '../spec/remote-charts.js';
import { declaredAddons } from '../spec/raw-declarations.js';
import { TRANSPILE_SCRIPT } from './_transpile-script.js';
import { missingInterface, readManifestSets, SYNTH_SETS_ARGS, type ManifestSetsRead } from './synth-output.js';

export { SynthError, type SynthPhase } from './synth-error.js';

/** Limits and places of a SynthRunner. */
export interface SynthRunnerOptions {
  /** Folder for installed dependencies (per lockfile), builds (per source) and scratch space. */
  cacheDir: string;
  /** Time allowed for the synth child process (its CPU-time limit too). @default 120000 */
  timeoutMs?: number;
  /** Time allowed for `npm ci` and for the TypeScript build, each. @default 600000 */
  installTimeoutMs?: number;
  /** V8 heap limit of the synth and build children, in MiB (`--max-old-space-size`). @default 1024 */
  maxOldSpaceMb?: number;
  /**
   * Address space of each sandboxed process, in MiB (RLIMIT_AS): Buffers and native memory count,
   * not only the heap. Node 20 reserves ~0.8 GiB at start; tsc of this repository runs in 2 GiB.
   * @default 3072
   */
  addressSpaceMb?: number;
  /** Largest synth output (and any file a sandboxed child writes), in MiB. @default 64 */
  maxOutputMb?: number;
  /**
   * Where a revision's code runs (synth and its TypeScript build).
   * @default `Sandbox.probe()` on first use; a revision is rejected when no sandbox can be made
   */
  sandbox?: Sandbox;
  /** Secrets to keep out of every message built from child output. @default credential shapes only */
  redactor?: Redactor;
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
  /** How often a long step (npm ci, tsc) logs that it still runs. @default 15000 */
  progressIntervalMs?: number;
}

/** Manifests of one revision. */
export interface SynthResult {
  sets: ManifestSet[];
  /** Stages and clusters whose declarations do not validate, left out of `sets` (by the revision's own loader). */
  blocked: BlockedDeclaration[];
  /** Time of each step, for logs. */
  timings: Partial<Record<'install' | 'build' | 'synth', number>>;
}

/**
 * The add-on sets with the add-ons their clusters declare as this reconciler reads the revision's
 * files, not as its code says: what decides that members of an add-on were removed on purpose (not
 * counted against the mass-prune limit) is never the untrusted output's claim. A set whose cluster
 * is not found declares nothing that way, so every prune of it counts.
 */
function withDeclaredAddons(sets: ManifestSet[], declared: Map<string, string[]>): ManifestSet[] {
  return sets.map((set) => {
    if (set.target.kind !== 'workload') return set;
    const { addons: _, ...rest } = set;
    const names = declared.get(`${set.target.stage}/${set.target.cluster}`);
    return names ? { ...rest, addons: names } : rest;
  });
}

/** Environment variables `npm ci` may see (it runs none of the revision's code); cluster and cloud credentials are left out. */
const NPM_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'HOME', 'npm_config_registry', 'npm_config_cache', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

function pickEnv(names: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const n of names) if (process.env[n] !== undefined) env[n] = process.env[n];
  return env;
}

/**
 * Turns a checked-out revision into ManifestSets with that revision's own code: installs its
 * dependencies once per lockfile (`npm ci --ignore-scripts`, cached and linked into each checkout),
 * compiles its TypeScript once per source tree, then runs its `bin/clusterops.js synth --format
 * sets-json`. The build and the synth run the revision's code, so both run in the Sandbox, with no
 * way to the reconciler's secrets; what they print reaches messages only bounded and redacted.
 */
export class SynthRunner {
  private readonly inFlight = new Map<string, Promise<string>>();
  private seeds: Map<string, string> | undefined;
  private sandboxReady: Promise<Sandbox> | undefined;
  private readonly redactor: Redactor;

  constructor(private readonly options: SynthRunnerOptions) {
    this.redactor = options.redactor ?? new Redactor();
    if (options.sandbox) this.sandboxReady = Promise.resolve(options.sandbox);
  }

  /** The sandbox, probed once when none was given. */
  private sandbox(): Promise<Sandbox> {
    this.sandboxReady ??= Sandbox.probe({ node: this.options.node }).catch((error: unknown) => {
      this.sandboxReady = undefined;
      throw new SynthError('synth', `no sandbox for the revision's code: ${(error as Error).message}`);
    });
    return this.sandboxReady;
  }

  private limits(timeoutMs: number): SandboxLimits {
    return { addressSpaceMb: this.options.addressSpaceMb ?? 3072, cpuSeconds: Math.ceil(timeoutMs / 1000), fileSizeMb: this.options.maxOutputMb ?? 64 };
  }

  /** A bounded, redacted excerpt of child output, for a message. */
  private excerpt(text: string, maxLines = 30): string {
    return excerpt(text, this.redactor, { maxLines }) || '(no output)';
  }

  /** Why a sandboxed child failed, in words, naming the limit it ran into. */
  private failure(what: string, r: ChildResult, timeoutMs: number, output: string): string {
    const limits = this.limits(timeoutMs);
    switch (limitHit(r)) {
      case 'time':
        return `${what} did not finish within ${timeoutMs} ms`;
      case 'cpu':
        return `${what} used up its CPU-time limit (${limits.cpuSeconds} s)`;
      case 'file-size':
        return `${what} wrote more than its output limit (${limits.fileSizeMb} MiB)`;
      case 'memory':
        return `${what} ran out of memory (limit: ${limits.addressSpaceMb} MiB of address space, ${this.options.maxOldSpaceMb ?? 1024} MiB of heap):\n${this.excerpt(output)}`;
      default:
        return `${what} ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`}:\n${this.excerpt(output)}`;
    }
  }

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
    const read = await this.runSynth(checkout);
    timings.synth = Date.now() - t;
    return { sets: withDeclaredAddons(read.sets, declaredAddons(path.join(checkout, 'clusters'))), blocked: read.blocked, timings };
  }

  private get cacheDir(): string {
    return path.resolve(this.options.cacheDir);
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
    // Straight to the real folder: the sandbox shows that one folder, read-only, at its own path.
    await symlink(await realpath(modules), link, 'dir');
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
      const r = await withProgress(this.options.logger.child({ lockHash: lockHash.slice(0, 12) }), 'installing the dependencies of a new lockfile (npm ci)', () =>
        runChild(this.options.npm ?? 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
          cwd: scratch,
          env: pickEnv(NPM_ENV),
          timeoutMs: this.options.installTimeoutMs ?? 600_000,
        }),
        this.options.progressIntervalMs,
      );
      if (r.timedOut) throw new SynthError('install', `npm ci timed out after ${this.options.installTimeoutMs ?? 600_000} ms`);
      if (r.code !== 0) throw new SynthError('install', `npm ci failed:\n${this.excerpt(r.stderr, 15)}`);
      await writeFile(path.join(scratch, '.complete'), 'npm ci\n');
      await rm(entry, { recursive: true, force: true });
      await rename(scratch, entry);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return modules;
  }

  /** Transpiles the revision's TypeScript into `<checkout>/dist`, or copies the build of an identical source tree. */
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
    if (!existsSync(path.join(checkout, 'node_modules', 'typescript'))) throw new SynthError('build', 'this revision has a tsconfig.json but typescript is not among its dependencies');
    const sandbox = await this.sandbox();
    await sandbox.giveReadable(checkout);
    const work = await scratchDir(this.cacheDir, 'build-');
    try {
      // A transpile with the revision's own TypeScript (_transpile-script.ts), not tsc: type checking
      // belongs in the revision's CI. It writes only into a scratch folder the sandbox may write.
      const outDir = path.join(work, 'dist');
      await mkdir(outDir);
      await sandbox.giveWritable(outDir);
      const timeoutMs = this.options.installTimeoutMs ?? 600_000;
      const readOnly = await checkoutDependencies(checkout);
      const r = await withProgress(this.options.logger, 'transpiling a new source tree of the revision', () => sandbox.run({
        argv: [this.options.node ?? process.execPath, '-e', TRANSPILE_SCRIPT, checkout, outDir],
        cwd: checkout,
        readOnly,
        writable: [outDir],
        env: sandboxEnv(this.options.maxOldSpaceMb ?? 1024),
        limits: this.limits(timeoutMs),
        timeoutMs,
      }), this.options.progressIntervalMs);
      if (r.code !== 0) {
        throw new SynthError('build', limitHit(r) ? this.failure('the TypeScript build', r, timeoutMs, r.stderr) : `this revision does not compile:\n${this.excerpt(r.stdout || r.stderr, 20)}`);
      }
      const target = path.join(this.cacheDir, 'builds', key);
      await rm(target, { recursive: true, force: true });
      await mkdir(target, { recursive: true });
      await cp(outDir, cached, { recursive: true });
      await writeFile(path.join(target, '.complete'), '');
      return cached;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Pulls the remote charts the checkout's declarations name into the chart cache (a failure is
   * noted there for the synth to report); the cache folder, when there is anything to read in it.
   */
  private async pullCharts(checkout: string): Promise<string | undefined> {
    const charts = remoteChartsOf(path.join(checkout, 'clusters'));
    if (charts.length === 0) return undefined;
    const cache = path.join(this.cacheDir, 'charts');
    for (const chart of charts) {
      try {
        await pullRemoteChart(chart, { cache });
      } catch (error) {
        if (!(error instanceof ChartError) && !(error instanceof HelmUnavailableError)) throw error;
        this.options.logger.warn({ chart: chart.ref }, `remote chart ${chart.ref} ${error.message}`);
      }
    }
    return cache;
  }

  /** The helm binary this installation has (real path), or undefined. */
  private async helm(): Promise<string | undefined> {
    try {
      return await realpath(findHelm());
    } catch (error) {
      if (error instanceof HelmUnavailableError) return undefined;
      throw error;
    }
  }

  private async runSynth(checkout: string): Promise<ManifestSetsRead> {
    const sandbox = await this.sandbox();
    await sandbox.giveReadable(checkout);
    // The output file is opened here and handed over as stdout: the child never sees its folder.
    const dir = await scratchDir(this.cacheDir, 'synth-');
    const outFile = path.join(dir, 'manifest-sets.json');
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const maxBytes = (this.options.maxOutputMb ?? 64) * 1024 * 1024;
    // The helm binary of this installation renders a revision's Helm add-ons (read-only, inside the
    // sandbox, no network); a revision with none never runs it, and without one its Helm add-ons fail with how to get it.
    const helm = await this.helm();
    if (helm) await sandbox.giveReadable(path.dirname(helm));
    // Remote charts are pulled here, with network, into the chart cache the synth reads without any.
    const charts = await this.pullCharts(checkout);
    if (charts) await sandbox.giveReadable(charts);
    try {
      const out = await open(outFile, 'w');
      let r;
      try {
        r = await sandbox.run({
          argv: [this.options.node ?? process.execPath, path.join('bin', 'clusterops.js'), ...SYNTH_SETS_ARGS],
          cwd: checkout,
          readOnly: [...(await checkoutDependencies(checkout)), ...(helm ? [path.dirname(helm)] : []), ...(charts ? [charts] : [])],
          env: sandboxEnv(this.options.maxOldSpaceMb ?? 1024, {
            NODE_ENV: 'production',
            [CHART_PULL_ENV]: 'never',
            ...(helm ? { [HELM_ENV]: helm } : {}),
            ...(charts ? { [CHART_CACHE_ENV]: charts } : {}),
          }),
          limits: this.limits(timeoutMs),
          timeoutMs,
          stdoutFd: out.fd,
        });
      } finally {
        await out.close();
      }
      if (r.code !== 0) throw new SynthError('synth', missingInterface(r.stderr) ?? this.failure('synth', r, timeoutMs, r.stderr));
      const size = (await stat(outFile)).size;
      if (size > maxBytes) throw new SynthError('output', `the synth output is ${size} bytes, more than the limit of ${maxBytes}`);
      try {
        return readManifestSets(await readFile(outFile, 'utf8'));
      } catch (error) {
        throw error instanceof SynthError ? new SynthError(error.phase, this.excerpt(error.message, 10)) : error;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
