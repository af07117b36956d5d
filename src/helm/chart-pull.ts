/**
 * Remote charts (an OCI reference or an https URL of a chart archive), pinned by the sha256 of the
 * archive: pulled once with `helm pull` into a cache outside the repository, checked against the
 * digest, unpacked there under the digest, and read from there ever after, so a render stays
 * offline and the same on every machine. A pull that fails leaves a note under the digest, which a
 * later load without network (the reconciler's sandboxed synth) reports in its place.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../model/tool-cache.js';
import { ChartError } from './chart-dir.js';
import { findHelm, helmEnv, helmSaid } from './helm-binary.js';

/** Environment variable of the folder remote charts are cached in. */
export const CHART_CACHE_ENV = 'CLUSTEROPS_CHART_CACHE';

/** Environment variable that, set to `never`, makes loads use the chart cache only (the reconciler's sandbox, which has no network). */
export const CHART_PULL_ENV = 'CLUSTEROPS_CHART_PULL';

/** The folder remote charts are cached in: $CLUSTEROPS_CHART_CACHE, else `charts` in the tools' cache. */
export function chartCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[CHART_CACHE_ENV] || path.join(cacheDir(env), 'charts');
}

/** Whether `ref` names a remote chart rather than a folder of the repository. */
export const isRemoteChart = (ref: string) => /^(oci|https?):\/\//i.test(ref);

/** One remote chart as a declaration pins it. */
export interface RemoteChart {
  ref: string;
  version?: string;
  /** `sha256:<hex>` of the chart archive. */
  digest: string;
}

const entryDir = (cache: string, digest: string) => path.join(cache, digest.replace(':', '-'));

/** The unpacked chart of a cached archive (the one folder inside it), or undefined. */
function cachedChart(cache: string, digest: string): string | undefined {
  const dir = path.join(entryDir(cache, digest), 'chart');
  if (!existsSync(dir)) return undefined;
  const inner = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return inner.length === 1 ? path.join(dir, inner[0]!.name) : undefined;
}

/** Why the last pull of this digest failed, when it did. */
function lastFailure(cache: string, digest: string): string | undefined {
  const note = path.join(entryDir(cache, digest), 'pull-failed');
  return existsSync(note) ? readFileSync(note, 'utf8') : undefined;
}

/** The command line of `helm pull` of `c` into `scratch`. */
function pullArgs(c: RemoteChart, scratch: string): string[] {
  return ['pull', c.ref, '--destination', scratch, ...(c.version && c.ref.startsWith('oci://') ? ['--version', c.version] : [])];
}

/** After `helm pull` wrote into `scratch`: checks the archive's digest and unpacks it into the cache; its chart folder. */
function keepPulled(cache: string, c: RemoteChart, scratch: string): string {
  const archive = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  if (!archive) throw remember(cache, c.digest, 'helm pull wrote no chart archive');
  const bytes = readFileSync(path.join(scratch, archive));
  const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (got !== c.digest) throw remember(cache, c.digest, `its archive has digest ${got}, not the pinned ${c.digest}`);
  const unpacked = path.join(scratch, 'chart');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', path.join(scratch, archive), '-C', unpacked, '--no-same-owner', '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const entry = entryDir(cache, c.digest);
  rmSync(entry, { recursive: true, force: true });
  mkdirSync(entry);
  renameSync(unpacked, path.join(entry, 'chart'));
  const dir = cachedChart(cache, c.digest);
  if (!dir) throw new ChartError('could not be used: its archive does not hold one chart folder');
  return dir;
}

/** Options of a lookup in the chart cache. */
export interface RemoteChartOptions {
  /** Pull it when it is not cached. */
  pull: boolean;
  /** @default chartCacheDir() */
  cache?: string;
  /** Time allowed for `helm pull`. @default 60000 */
  timeoutMs?: number;
}

/** The cached folder of `c`, or, without `pull`, the error saying why there is none. */
function cachedOrRefused(c: RemoteChart, cache: string, pull: boolean): string | undefined {
  const hit = cachedChart(cache, c.digest);
  if (hit || pull) return hit;
  const failed = lastFailure(cache, c.digest);
  throw new ChartError(failed ? `could not be pulled: ${failed}` : `(${c.digest}) is not in the chart cache ${cache}, and this synth does not pull charts`);
}

/**
 * Pulls `c` into the cache when it is not there: `run` runs helm (synchronously or not), then the
 * archive is checked and unpacked, or the failure noted. The one body of both entry points below.
 */
function pullInto<R>(c: RemoteChart, cache: string, run: (file: string, args: string[], env: NodeJS.ProcessEnv) => R, then: (ran: R, finish: (error?: unknown) => string) => string | Promise<string>) {
  mkdirSync(cache, { recursive: true });
  const scratch = mkdtempSync(path.join(cache, '.pull-'));
  const finish = (error?: unknown): string => {
    try {
      if (error !== undefined) throw remember(cache, c.digest, helmSaid(error));
      return keepPulled(cache, c, scratch);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };
  let ran: R;
  try {
    ran = run(findHelm(), pullArgs(c, scratch), helmEnv(scratch));
  } catch (error) {
    return finish(error);
  }
  return then(ran, finish);
}

/**
 * The folder of remote chart `c`, from the cache or, with `pull`, pulled into it now (blocking: the
 * loader's resolve is synchronous). Throws ChartError saying what went wrong (unreachable, wrong
 * digest, not cached and no network here).
 */
export function remoteChartDir(c: RemoteChart, options: RemoteChartOptions): string {
  const cache = options.cache ?? chartCacheDir();
  const hit = cachedOrRefused(c, cache, options.pull);
  if (hit) return hit;
  const timeout = options.timeoutMs ?? 60_000;
  return pullInto(c, cache, (file, args, env) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout, env }), (_, finish) => finish()) as string;
}

/** remoteChartDir with `pull`, without blocking the event loop while helm pulls (the reconciler's). */
export async function pullRemoteChart(c: RemoteChart, options: Omit<RemoteChartOptions, 'pull'> = {}): Promise<string> {
  const cache = options.cache ?? chartCacheDir();
  const hit = cachedOrRefused(c, cache, true);
  if (hit) return hit;
  const timeout = options.timeoutMs ?? 60_000;
  return pullInto(c, cache, (file, args, env) => promisify(execFile)(file, args, { timeout, env }), (ran, finish) => ran.then(() => finish(), (error: unknown) => finish(error)));
}

/** Leaves a note of why a pull failed (read by loads without network), and returns the error. */
function remember(cache: string, digest: string, why: string): ChartError {
  const entry = entryDir(cache, digest);
  mkdirSync(entry, { recursive: true });
  writeFileSync(path.join(entry, 'pull-failed'), why);
  return new ChartError(`could not be pulled: ${why}`);
}
