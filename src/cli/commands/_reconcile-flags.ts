import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseSecretRef } from '../../dashboard/dashboard-auth.js';
import type { Redactor } from '../../reconciler/redact.js';
import { parseDuration, type ReconcilerProcessOptions } from '../../reconciler/reconciler-process.js';
import { parseListen } from '../../reconciler/server.js';
import { UsageError } from '../exit-codes.js';

/** The flags of `clusterops reconcile`, as commander parses them. */
export interface ReconcileFlags {
  repo: string;
  branch?: string;
  kubeconfig?: string;
  context?: string;
  once?: boolean;
  interval: string;
  driftInterval?: string;
  listen: string;
  webhookSecretFile?: string;
  cacheDir: string;
  leaderElect: boolean;
  concurrency: string;
  allowMassPrune?: boolean;
  notifyUrl?: string;
  insecureSynth?: boolean;
  synthSocket?: string;
  pulumiStack?: string;
  pulumiBackend?: string;
  pulumiPassphraseFile?: string;
  dashboardTokenFile?: string;
  dashboardTokenSecret?: string;
  dashboardTokenReview?: boolean;
}

/** `--dashboard-token-secret NAMESPACE/NAME`, checked. */
export function dashboardTokenSecret(text: string | undefined): { namespace: string; name: string } | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSecretRef(text);
  } catch (error) {
    throw new UsageError(`--dashboard-token-secret: ${(error as Error).message}`);
  }
}

function duration(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A file given by a flag, absolute; a usage error when it is not a readable file. */
export function readableFile(file: string, flag: string): string {
  const absolute = path.resolve(file);
  try {
    accessSync(absolute, constants.R_OK);
    if (!statSync(absolute).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(`${flag} ${file}: ${existsSync(absolute) ? 'is not a readable file' : 'does not exist'}`);
  }
  return absolute;
}

/** The `--pulumi-*` flags, checked: a stack name, a `file://` backend and a readable passphrase file, all three or none. */
function pulumiFlags(flags: ReconcileFlags): Pick<ReconcilerProcessOptions, 'pulumiStack' | 'pulumiBackend' | 'pulumiPassphraseFile'> {
  if (flags.pulumiStack === undefined) {
    if (flags.pulumiBackend !== undefined || flags.pulumiPassphraseFile !== undefined) {
      throw new UsageError('--pulumi-backend and --pulumi-passphrase-file go with --pulumi-stack NAME');
    }
    return {};
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(flags.pulumiStack)) throw new UsageError(`--pulumi-stack ${JSON.stringify(flags.pulumiStack)} is not a stack name`);
  if (flags.pulumiBackend === undefined || !/^file:\/\/\/\S+$/.test(flags.pulumiBackend)) {
    throw new UsageError('--pulumi-stack needs --pulumi-backend file:///PATH (the folder of the stack state; the sandboxed engine reaches no cloud backend)');
  }
  if (flags.pulumiPassphraseFile === undefined) throw new UsageError('--pulumi-stack needs --pulumi-passphrase-file FILE (the passphrase of the stack)');
  return {
    pulumiStack: flags.pulumiStack,
    pulumiBackend: flags.pulumiBackend,
    pulumiPassphraseFile: readableFile(flags.pulumiPassphraseFile, '--pulumi-passphrase-file'),
  };
}

/** What git can fetch: a URL with a scheme, scp-like `user@host:path`, or a local path. */
const REPO = /^(?:(?:file|https?|ssh|git):\/\/\S+|[^\s/@:]+@[^\s/:]+:\S+|\/\S*)$/;

/**
 * The options of a reconciler from the flags of `clusterops reconcile`, every mistake found here as
 * a UsageError (exit 2), before anything is contacted; paths are made absolute, since the
 * reconciler links and runs children from other folders.
 */
export function reconcileOptions(flags: ReconcileFlags, logger: Logger, redactor?: Redactor): ReconcilerProcessOptions {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
  if (flags.notifyUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(flags.notifyUrl)) throw new UsageError('--notify-url must be an http(s) URL');
  const repo = REPO.test(flags.repo) ? flags.repo : existsSync(flags.repo) ? path.resolve(flags.repo) : undefined;
  if (!repo) throw new UsageError(`--repo ${JSON.stringify(flags.repo)} is neither a git URL (file://, https://, ssh://, user@host:path) nor an existing folder`);
  if (flags.branch !== undefined && !/^[^\s~^:?*[\\]+$/.test(flags.branch)) throw new UsageError(`--branch ${JSON.stringify(flags.branch)} is not a branch name`);
  try {
    parseListen(flags.listen);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (flags.cacheDir.trim() === '') throw new UsageError('--cache-dir must not be empty');
  const pulumi = pulumiFlags(flags);
  return {
    repo,
    branch: flags.branch,
    kubeconfig: flags.kubeconfig === undefined ? undefined : readableFile(flags.kubeconfig, '--kubeconfig'),
    context: flags.context,
    cacheDir: path.resolve(flags.cacheDir),
    pollIntervalMs: duration(flags.interval, '--interval'),
    driftIntervalMs: flags.driftInterval ? duration(flags.driftInterval, '--drift-interval') : undefined,
    listen: flags.listen,
    webhookSecretFile: flags.webhookSecretFile === undefined ? undefined : readableFile(flags.webhookSecretFile, '--webhook-secret-file'),
    leaderElection: flags.leaderElect,
    concurrency,
    allowMassPrune: flags.allowMassPrune,
    notifyUrl: flags.notifyUrl,
    insecureSynth: flags.insecureSynth,
    synthSocket: flags.synthSocket === undefined ? undefined : path.resolve(flags.synthSocket),
    ...pulumi,
    dashboardTokenFile: flags.dashboardTokenFile === undefined ? undefined : readableFile(flags.dashboardTokenFile, '--dashboard-token-file'),
    dashboardTokenSecret: dashboardTokenSecret(flags.dashboardTokenSecret),
    dashboardTokenReview: flags.dashboardTokenReview,
    redactor,
    logger,
  };
}
