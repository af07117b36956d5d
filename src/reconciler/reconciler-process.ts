import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kubeconfig } from '../kube/kubeconfig.js';
import type { Logger } from 'pino';
import { Dashboard } from '../dashboard/dashboard.js';
import { DashboardAuth, describeSources } from '../dashboard/dashboard-auth.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { findPulumiEngine, missingKubernetesProvider } from '../pulumi/engine.js';
import { installationDir } from '../model/tool-cache.js';
import { GitSource } from './git-source.js';
import { LeaderElector } from './leader-election.js';
import { ReconcilerMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { Reconciler, type PassResult } from './reconciler.js';
import { Redactor } from './redact.js';
import { RemoteSynthesizer } from './remote-synthesizer.js';
import { Sandbox, SandboxUnavailableError } from './sandbox.js';
import { startServer, type RunningServer } from './server.js';
import { StackIdentity } from './stack-identity.js';
import { StackRunner } from './stack-runner.js';
import { SynthRunner } from './synth-runner.js';

/** Everything `clusterops reconcile` (and `clusterops dev`) can be told. */
export interface ReconcilerProcessOptions {
  repo: string;
  branch?: string;
  kubeconfig?: string;
  context?: string;
  /** Folder for the git copy, installed dependencies and builds. */
  cacheDir: string;
  pollIntervalMs: number;
  driftIntervalMs?: number;
  /** `host:port` of the HTTP endpoints; undefined for none. */
  listen?: string;
  webhookSecretFile?: string;
  /** @default true */
  leaderElection?: boolean;
  /** Namespace of the leader Lease. @default clusterops-system */
  leaseNamespace?: string;
  concurrency?: number;
  allowMassPrune?: boolean;
  synthTimeoutMs?: number;
  synthMaxOldSpaceMb?: number;
  /** URL that receives a JSON POST on each failure and recovery. */
  notifyUrl?: string;
  /** Installations whose node_modules a revision with the same lockfile may reuse. */
  seedInstallations?: string[];
  /** Run each revision's code without the sandbox (where bubblewrap cannot make one). @default false */
  insecureSynth?: boolean;
  /**
   * Unix socket of a synth server (`clusterops synth-server`, a container of its own without
   * credentials): revisions are synthesized there, not in a local sandbox. @default none (local sandbox)
   */
  synthSocket?: string;
  /**
   * Runs `pulumi up` of this stack with each revision's own program (sandboxed, with an identity of
   * its own) before applying the revision, when its stacks/, clusters/ or stack settings changed.
   * Needs `pulumiBackend` and `pulumiPassphraseFile`. @default none
   */
  pulumiStack?: string;
  /** State backend of `pulumiStack`, a `file://` URL. */
  pulumiBackend?: string;
  /** File holding the passphrase of `pulumiStack` (never logged). */
  pulumiPassphraseFile?: string;
  /** The dashboard's token: a file holding it. */
  dashboardTokenFile?: string;
  /** The dashboard's token: a Secret whose key `token` holds it. */
  dashboardTokenSecret?: { namespace: string; name: string };
  /** Let Kubernetes users in with their own token (TokenReview, and they may list WorkloadClusters). @default false */
  dashboardTokenReview?: boolean;
  /** Serve the dashboard without a login to loopback requests (`clusterops dev`). @default false */
  dashboardAnonymousLoopback?: boolean;
  /** Receives every secret the process holds; give the same one to `createLogger`. @default a new one */
  redactor?: Redactor;
  logger: Logger;
}

/** A running reconciler process: its parts, and how to stop it. */
export interface ReconcilerProcess {
  reconciler: Reconciler;
  metrics: ReconcilerMetrics;
  server?: RunningServer;
  /** The fleet dashboard, when it is on. */
  dashboard?: Dashboard;
  elector?: LeaderElector;
  identity: string;
  /** Stops leading (releasing the lease), the loop and the server. */
  stop(): Promise<void>;
}

/** Parses a duration such as `30s`, `5m`, `1h`, `500ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a duration (e.g. 30s, 5m, 1h)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * factor;
  if (ms < 100) throw new Error(`${JSON.stringify(text)} is too short (at least 100ms)`);
  return ms;
}

async function readSecretFile(file: string): Promise<Buffer> {
  const content = await readFile(file).catch(() => {
    throw new Error(`webhook secret file ${file} cannot be read`);
  });
  const trimmed = Buffer.from(content.toString('utf8').replace(/\r?\n$/, ''));
  if (trimmed.length === 0) throw new Error(`webhook secret file ${file} is empty`);
  return trimmed;
}

/**
 * Counts the secrets the reconciler holds among `redactor`'s, so that no log line, Event or status
 * repeats them: the user credentials of every kubeconfig user (token, key, password, token and key
 * files), the webhook secret, the credentials in the repository URL and secret-named environment variables.
 */
export function holdSecrets(redactor: Redactor, held: { repo: string; kubeconfig?: Kubeconfig; webhookSecret?: Buffer }): Redactor {
  redactor.addUrlCredentials(held.repo).addEnvironment(process.env).add(held.webhookSecret);
  for (const secret of held.kubeconfig?.secretValues() ?? []) redactor.add(secret);
  return redactor;
}

/** The sandbox for revisions' code, probed once; without one the reconciler does not start unless told `insecureSynth`. */
async function synthSandbox(options: ReconcilerProcessOptions): Promise<Sandbox | undefined> {
  if (options.synthSocket) return undefined;
  try {
    return await Sandbox.probe();
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError)) throw error;
    if (options.insecureSynth) {
      options.logger.warn({ reason: error.message }, 'synthesizing revisions WITHOUT a sandbox (--insecure-synth): a commit can read what this process can');
      return Sandbox.insecure();
    }
    throw new Error(
      `cannot sandbox the revisions' code: ${error.message}. A commit's code would run next to the cluster credentials; ` +
        'run where bubblewrap can create namespaces (in a container: allow user namespaces, or give the synth container CAP_SYS_ADMIN), ' +
        'or pass --insecure-synth to run it unsandboxed',
    );
  }
}

/** The stack step of `--pulumi-stack`: the engine the tools/ scripts built, the sandbox, and the program's own identity. */
async function stackRunner(
  options: ReconcilerProcessOptions,
  client: KubeClient,
  kubeconfig: Kubeconfig,
  sandbox: Sandbox | undefined,
  redactor: Redactor,
): Promise<StackRunner | undefined> {
  if (!options.pulumiStack) return undefined;
  if (!options.pulumiBackend || !options.pulumiPassphraseFile) throw new Error('--pulumi-stack needs --pulumi-backend and --pulumi-passphrase-file');
  if (!sandbox) throw new Error("--pulumi-stack runs the revision's program in the local sandbox; it cannot be combined with --synth-socket yet");
  const root = installationDir();
  const engine = await findPulumiEngine(root);
  if (!engine.hasKubernetesProvider) throw new Error(missingKubernetesProvider(root));
  const passphrase = await readFile(options.pulumiPassphraseFile).catch(() => {
    throw new Error(`pulumi passphrase file ${options.pulumiPassphraseFile} cannot be read`);
  });
  redactor.add(passphrase.toString('utf8').replace(/\r?\n$/, ''));
  return new StackRunner({
    stack: options.pulumiStack,
    backend: options.pulumiBackend,
    passphraseFile: options.pulumiPassphraseFile,
    cacheDir: path.join(options.cacheDir, 'pulumi'),
    sandbox,
    engine,
    identity: new StackIdentity(client, kubeconfig, options.leaseNamespace ?? 'clusterops-system'),
    redactor,
    logger: options.logger,
  });
}

function parts(options: ReconcilerProcessOptions, client: KubeClient, metrics: ReconcilerMetrics, sandbox: Sandbox | undefined, redactor: Redactor, notifier?: Notifier, stack?: StackRunner): Reconciler {
  return new Reconciler({
    notifier,
    stack,
    source: new GitSource({ url: options.repo, branch: options.branch, dir: path.join(options.cacheDir, 'git') }),
    synthesizer: options.synthSocket ? new RemoteSynthesizer(options.synthSocket) : new SynthRunner({
      cacheDir: path.join(options.cacheDir, 'synth'),
      logger: options.logger,
      timeoutMs: options.synthTimeoutMs,
      maxOldSpaceMb: options.synthMaxOldSpaceMb,
      seedInstallations: options.seedInstallations,
      sandbox,
      redactor,
    }),
    api: client,
    logger: options.logger,
    metrics,
    pollIntervalMs: options.pollIntervalMs,
    driftIntervalMs: options.driftIntervalMs,
    concurrency: options.concurrency,
    allowMassPrune: options.allowMassPrune,
  });
}

/** Runs one pass (fetch, synth, apply, prune, status) without leader election; for `--once`. */
export async function reconcileOnce(options: ReconcilerProcessOptions): Promise<PassResult> {
  const sandbox = await synthSandbox(options);
  const kubeconfig = loadKubeconfig({ path: options.kubeconfig, context: options.context });
  const redactor = holdSecrets(options.redactor ?? new Redactor(), { repo: options.repo, kubeconfig });
  const client = await KubeClient.fromKubeConfig(kubeconfig);
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  const notifier = options.notifyUrl ? new Notifier({ url: options.notifyUrl, logger: options.logger }) : undefined;
  const stack = await stackRunner(options, client, kubeconfig, sandbox, redactor);
  const reconciler = parts(options, client, metrics, sandbox, redactor, notifier, stack);
  try {
    return await reconciler.runOnce();
  } finally {
    await notifier?.close();
    reconciler.close();
    client.close();
  }
}

/**
 * Starts the reconciler as a long-running process: the HTTP endpoints at once, and the loop
 * whenever this replica holds the leader Lease (at once when leader election is off).
 */
export async function startReconcilerProcess(options: ReconcilerProcessOptions): Promise<ReconcilerProcess> {
  const log = options.logger;
  const sandbox = await synthSandbox(options);
  const webhookSecret = options.webhookSecretFile ? await readSecretFile(options.webhookSecretFile) : undefined;
  const kubeconfig = loadKubeconfig({ path: options.kubeconfig, context: options.context });
  const redactor = holdSecrets(options.redactor ?? new Redactor(), { repo: options.repo, kubeconfig, webhookSecret });
  const client = await KubeClient.fromKubeConfig(kubeconfig);
  const metrics = new ReconcilerMetrics();
  metrics.countRequests(client.counter);
  const notifier = options.notifyUrl ? new Notifier({ url: options.notifyUrl, logger: log }) : undefined;
  const stack = await stackRunner(options, client, kubeconfig, sandbox, redactor);
  const reconciler = parts(options, client, metrics, sandbox, redactor, notifier, stack);
  const identity = `${process.env.POD_NAME ?? hostname()}-${randomBytes(3).toString('hex')}`;
  let elector: LeaderElector | undefined;
  const leading = () => !elector || elector.isLeader;

  const dashboard = options.listen ? await startDashboard(options, client, redactor) : undefined;
  const server = options.listen
    ? await startServer({
        dashboard,
        listen: options.listen,
        metrics,
        logger: log,
        webhookSecret,
        onPush: () => {
          if (leading()) reconciler.requestFetch();
        },
        readiness: () =>
          !leading()
            ? { ready: true, message: 'standby: another replica leads' }
            : reconciler.hasSynced
              ? { ready: true, message: readinessMessage(reconciler.progress()) }
              : { ready: false, message: 'leading; first sync not finished' },
      })
    : undefined;

  if (options.leaderElection ?? true) {
    elector = new LeaderElector(client, {
      namespace: options.leaseNamespace ?? 'clusterops-system',
      identity,
      logger: log,
      onStartedLeading: (signal) => {
        metrics.leader.set(1);
        reconciler.start(signal);
      },
      onStoppedLeading: () => metrics.leader.set(0),
    });
    elector.start();
  } else {
    metrics.leader.set(1);
    reconciler.start();
  }
  log.info({ repo: new GitSource({ url: options.repo, dir: options.cacheDir }).displayUrl, branch: options.branch ?? '(default)', identity, listen: server?.url, synthSandbox: sandbox?.kind ?? `synth server at ${options.synthSocket}`, pulumiStack: options.pulumiStack }, 'reconciler started');

  return {
    reconciler,
    metrics,
    server,
    dashboard,
    elector,
    identity,
    async stop() {
      await elector?.stop();
      await reconciler.stop();
      await notifier?.close(5_000);
      reconciler.close();
      await dashboard?.stop();
      await server?.close();
      client.close();
    },
  };
}

/** The dashboard, when a way to log in is configured; otherwise off, and the log says why. */
async function startDashboard(options: ReconcilerProcessOptions, client: KubeClient, redactor: Redactor): Promise<Dashboard | undefined> {
  const log = options.logger;
  const sources = {
    tokenFile: options.dashboardTokenFile,
    tokenSecret: options.dashboardTokenSecret,
    tokenReview: options.dashboardTokenReview,
    anonymousLoopback: options.dashboardAnonymousLoopback,
  };
  if (!DashboardAuth.configured(sources)) {
    log.info('dashboard off: no --dashboard-token-file, --dashboard-token-secret or --dashboard-token-review given, and it never runs without a login');
    return undefined;
  }
  const dashboard = await Dashboard.start({
    ...sources,
    client,
    onSecret: (value) => redactor.add(value),
    onWatchError: (what, error) => log.warn({ watch: what, err: error instanceof Error ? error.message : String(error) }, 'dashboard watch failed; retrying'),
    onLogin: ({ ok, who, remote }) => (ok ? log.info({ who, remote }, 'dashboard login') : log.warn({ remote }, 'dashboard login refused')),
  });
  log.info({ login: describeSources(sources) }, 'dashboard on');
  return dashboard;
}

/** The /readyz line of a leader: the newest good revision and how far it is applied, never a refused one as if applied. */
export function readinessMessage(p: { revision?: string; applied: number; total: number; failing: string[] }): string {
  if (!p.revision) return 'leading; no revision synthesized yet';
  const head = `leading; revision ${p.revision}: ${p.applied}/${p.total} sets applied`;
  return p.failing.length ? `${head}; failing: ${p.failing.slice(0, 3).join('; ')}${p.failing.length > 3 ? `; and ${p.failing.length - 3} more` : ''}` : head;
}
