/**
 * `clusterops rebuild`: a lost management cluster brought back from git and the Pulumi state, in
 * order, each step timed and reported:
 *
 *   checkout      the branch head, validated (a fleet that does not load changes nothing)
 *   identities    every declared cluster's identity is in the state (read-only; refused otherwise)
 *   management    the new management cluster: taken (--kubeconfig) or started here (--state-dir)
 *   lock          one rebuild at a time (rebuild-lock.ts)
 *   pulumi up     --refresh: what the lost cluster held of the stack (identity Secrets, Namespaces) is created again from state;
 *                 identities of clusters no longer declared are left out (kept in the state, reported)
 *   crds          Cluster API's and the providers' CRDs, with their contract labels
 *   apply paused  the fleet's objects, Clusters paused, so no controller acts before the identities are checked
 *   secrets       each cluster's four identity Secrets are in the new cluster
 *   unpause       the Clusters as declared; the providers adopt what runs (same endpoint, same CA, same Nodes)
 *   adopted       every Cluster Available with its workers ready again
 *
 * Nothing is pruned or deleted: a rebuild only creates what the lost cluster held. Running it again,
 * or after a crash half-way, gives the same end: every step is idempotent. The reconciler takes over
 * from the branch head afterwards (add-ons, status, drift).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ResourceManager } from '../apply/resource-manager.js';
import { workloadClusterCrd } from '../charts/workload-cluster-crd.js';
import { controlPlaneStatus, installClusterApiCrds, startDetachedControlPlane } from '../controlplane/index.js';
import { KubeClient, KubeError } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import type { Fleet } from '../model/fleet.js';
import type { ManifestSet } from '../model/manifest-set.js';
import { runManagementStack, stackResources } from '../pulumi/stack-run.js';
import { admissionPolicy } from '../reconciler/admission-policy.js';
import { admit, refusalMessage } from '../reconciler/admission.js';
import { Redactor } from '../reconciler/redact.js';
import { loadFleet } from '../spec/load.js';
import { formatProblem } from '../spec/problem.js';
import { synthFleet } from '../synth/synth.js';
import { clusterKey, IDENTITY_PARTS, missingIdentities, resourcesOf, undeclaredIdentities } from './identities-in-state.js';
import { clustersOf, withClustersPaused } from './paused-clusters.js';
import { acquireRebuildLock } from './rebuild-lock.js';

/** Where the new management cluster comes from. */
export type ManagementSource =
  /** Its current context is the new management cluster: every step (the Pulumi run, the CRDs, the apply) uses that one. */
  | { kubeconfig: string }
  /** Started here (or taken when it already runs) with Cluster API and the local provider. */
  | { stateDir: string; localClustersDir?: string };

/** What a rebuild needs. */
export interface RebuildOptions {
  /** Anything `git clone` takes. */
  repo: string;
  /** @default main */
  branch?: string;
  /** Pulumi stack of the management plane. */
  stack: string;
  /** State backend. @default $PULUMI_BACKEND_URL */
  backend?: string;
  /** Folder with Pulumi.yaml (the clusterops project that runs the stack). @default the nearest one up from the working directory */
  projectDir?: string;
  management: ManagementSource;
  /** Declared clusters (`stage/name`) that never existed, whose identity may be created now. */
  allowNewIdentity?: readonly string[];
  /** How long the providers may take to adopt the fleet. @default 10 min */
  timeoutMs?: number;
  /** One line per step and per wait. */
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** One step of a rebuild, as reported. */
export interface RebuildStep {
  name: string;
  seconds: number;
  detail?: string;
}

/** What a rebuild did. */
export interface RebuildReport {
  /** The commit rebuilt from. */
  revision: string;
  /** Kubeconfig of the management cluster. */
  kubeconfig: string;
  /** The declared clusters, `stage/name`, sorted. */
  clusters: string[];
  /** Identities in the state that no cluster at the branch head declares: kept, not adopted. */
  undeclared: string[];
  steps: RebuildStep[];
}

/** A rebuild that stopped; the message says at which step and why, and what was left as it was. */
export class RebuildError extends Error {
  override name = 'RebuildError';
  constructor(
    message: string,
    /** The steps done before it stopped. */
    readonly steps: RebuildStep[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const git = promisify(execFile);

/** The steps of a rebuild, in order (`drill --interrupt-rebuild-at` names one of them). */
export const REBUILD_STEPS = ['checkout', 'identities in state', 'management cluster', 'lock', 'pulumi up --refresh', 'crds', 'apply paused', 'secrets', 'unpause', 'adopted'] as const;

/** Operations on key material a rebuild never lets `pulumi up` take: each would give a running cluster another CA. */
const CA_CHANGING_OPS = new Set(['delete', 'replace', 'create-replacement', 'delete-replaced', 'discard', 'discard-replaced']);

/** Runs the rebuild; see the file comment. */
export async function rebuild(options: RebuildOptions): Promise<RebuildReport> {
  const env = options.env ?? process.env;
  // Credentials in the repository or backend URL (or the passphrase) never reach a progress line or an error.
  const redactor = new Redactor().addUrlCredentials(options.repo).addUrlCredentials(options.backend ?? env.PULUMI_BACKEND_URL ?? '').add(env.PULUMI_CONFIG_PASSPHRASE);
  const say = (line: string) => options.progress?.(redactor.redact(line));
  const steps: RebuildStep[] = [];
  const total = REBUILD_STEPS.length;
  let lockLost: () => boolean = () => false;
  const step = async <T>(name: (typeof REBUILD_STEPS)[number], run: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> => {
    const began = Date.now();
    say(`rebuild [${steps.length + 1}/${total}] ${name} ...`);
    let value: T;
    try {
      if (lockLost()) throw new Error('the rebuild Lease was lost (its renewal failed or another rebuild took it over); stopping before changing anything more');
      value = await run();
    } catch (error) {
      const why = redactor.redact(error instanceof Error ? error.message : String(error));
      throw new RebuildError(`rebuild stopped at "${name}": ${why}`, [...steps], { cause: error });
    }
    const row: RebuildStep = { name, seconds: (Date.now() - began) / 1000, detail: detail?.(value) };
    steps.push(row);
    say(`rebuild [${steps.length}/${total}] ${name}: done in ${row.seconds.toFixed(1)} s${row.detail ? ` (${row.detail})` : ''}`);
    return value;
  };

  const checkoutDir = await mkdtemp(path.join(tmpdir(), 'clusterops-rebuild-'));
  try {
    // Validated and admitted here, before anything changes: a revision the policy refuses stops the rebuild at once.
    const { revision, fleet, sets } = await step(
      'checkout',
      async () => {
        const c = await checkout(options.repo, options.branch ?? 'main', checkoutDir);
        return { ...c, sets: admitted(c.fleet) };
      },
      (c) => `${c.revision.slice(0, 12)}, ${c.fleet.clusters.length} clusters`,
    );
    const clustersDir = path.join(checkoutDir, 'clusters');
    const declared = fleet.clusters.map((c) => ({ stage: c.stage, name: c.name }));
    const stackOptions = { projectDir: options.projectDir, clusters: clustersDir, backend: options.backend, stack: options.stack };
    const { undeclared, exclude } = await step(
      'identities in state',
      async () => {
        const state = await stackResources(stackOptions, env);
        if (!state) throw new Error(`the backend ${options.backend ?? env.PULUMI_BACKEND_URL ?? ''} has no stack ${options.stack}: there is no identity to rebuild from`.replace('  ', ' '));
        const allowed = new Set(options.allowNewIdentity ?? []);
        const unknown = [...allowed].filter((key) => !declared.some((c) => clusterKey(c) === key));
        if (unknown.length) throw new Error(`--allow-new-identity ${unknown.join(', ')}: no such cluster is declared at ${revision.slice(0, 12)}`);
        const missing = missingIdentities(declared, state).filter((key) => !allowed.has(key));
        if (missing.length) {
          throw new Error(
            `the identity of ${missing.join(', ')} is not in stack ${options.stack}; refusing to create a new CA for a cluster that may exist ` +
              `(nothing was changed). Restore the state, or pass --allow-new-identity ${missing[0]} for a cluster that was never brought up`,
          );
        }
        // Identities of clusters no file declares any more (a protected one's file deleted): left out of
        // the up, so it neither deletes them (it would refuse a protected one) nor stops the rebuild.
        const undeclared = undeclaredIdentities(declared, state);
        return { undeclared, exclude: resourcesOf(undeclared, state) };
      },
      ({ undeclared: u }) => {
        const allowed = (options.allowNewIdentity ?? []).length;
        return `${declared.length - allowed} of ${declared.length} present${allowed ? `, ${allowed} new allowed` : ''}${u.length ? `; in the state but not declared: ${u.join(', ')}` : ''}`;
      },
    );
    for (const key of undeclared) say(`rebuild: ${key} has an identity in the state but no file at ${revision.slice(0, 12)}: kept, not adopted (restore its file to bring it back)`);

    const kubeconfig = await step('management cluster', () => managementCluster(options.management, say), (m) => m.detail);
    const client = await KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig.path }));
    try {
      const lock = await step('lock', () => acquireRebuildLock(client), (l) => `held by ${l.holder}`);
      lockLost = () => lock.lost;
      try {
        await step(
          'pulumi up --refresh',
          async () => {
            // The plan first: an up that would delete or replace a key material (a stale Pulumi.<stack>.yaml
            // whose stages lack one, a changed program) or create one not allowed is refused before it runs.
            // One refresh (what the lost cluster held of the stack drops out of the state), then the plan and the up.
            await runManagementStack({ ...stackOptions, kubeconfig: kubeconfig.path, refreshOnly: true, exclude }, env);
            const plan = await runManagementStack({ ...stackOptions, kubeconfig: kubeconfig.path, exclude }, env);
            const allowed = new Set(options.allowNewIdentity ?? []);
            const unsafe = plan.steps.filter(
              (s) => s.type.endsWith(':KeyMaterial') && (CA_CHANGING_OPS.has(s.op) || (s.op === 'create' && !allowed.has(s.name.split('/').slice(0, 2).join('/')))),
            );
            if (unsafe.length) {
              throw new Error(
                `pulumi up would ${unsafe.map((s) => `${s.op} ${s.name}`).join(', ')}: a running cluster would get another CA; refused before the up ` +
                  '(is Pulumi.<stack>.yaml the one of the branch, with every stage?)',
              );
            }
            return runManagementStack({ ...stackOptions, kubeconfig: kubeconfig.path, up: true, exclude }, env);
          },
          (r) => Object.entries(r.summary).map(([op, n]) => `${n} ${op}`).join(', '),
        );
        await step('crds', () => installClusterApiCrds(kubeconfig.path, { progress: () => undefined }), (c) => `${c.names.length} CRDs established`);
        const manager = new ResourceManager(client, { prerequisiteCrds: [workloadClusterCrd()] });
        await step('apply paused', () => applyOrThrow(manager, withClustersPaused(sets)), (n) => `${n} objects, ${clustersOf(sets).length} Clusters paused`);
        await step('secrets', () => identitySecretsPresent(client, declared), () => `${declared.length * IDENTITY_PARTS.length} identity Secrets`);
        await step('unpause', () => applyOrThrow(manager, sets), () => `${clustersOf(sets).length} Clusters`);
        await step('adopted', () => waitAdopted(client, clustersOf(sets), options.timeoutMs ?? 600_000, say), () => `${clustersOf(sets).length} Clusters Available`);
      } finally {
        await lock.release().catch(() => undefined);
      }
    } finally {
      client.close();
    }
    return { revision, kubeconfig: kubeconfig.path, clusters: declared.map(clusterKey).sort(), undeclared, steps };
  } finally {
    await rm(checkoutDir, { recursive: true, force: true });
  }
}

/** Clones the branch head and loads its fleet; problems in it stop the rebuild before anything changes. */
async function checkout(repo: string, branch: string, dir: string): Promise<{ revision: string; fleet: Fleet }> {
  try {
    await git('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', branch, repo, dir], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`cannot clone branch ${branch} of ${repo}: ${stderr.split('\n').pop() || (error as Error).message}`);
  }
  const revision = (await git('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  const { fleet, problems } = await loadFleet(path.join(dir, 'clusters'));
  if (!fleet) throw new Error(`the fleet at ${revision.slice(0, 12)} does not load:\n${problems.map(formatProblem).join('\n')}`);
  return { revision, fleet };
}

/** The management sets of the fleet, admitted by the reconciler's policy. */
function admitted(fleet: Fleet): ManifestSet[] {
  const sets = synthFleet(fleet);
  const verdict = admit(sets, admissionPolicy(fleet.stages));
  if (!verdict.admitted) throw new RebuildError(refusalMessage(verdict.violations));
  return sets.filter((s) => s.target.kind === 'management');
}

async function applyOrThrow(manager: ResourceManager, sets: ManifestSet[]): Promise<number> {
  const cs = await manager.applyAll(sets);
  if (cs.errors.length) throw new Error(cs.errors.map((e) => `${e.set}: ${e.message}`).join('\n'));
  return sets.reduce((n, s) => n + s.objects.length, 0);
}

async function managementCluster(source: ManagementSource, say: (line: string) => void): Promise<{ path: string; detail: string }> {
  if ('kubeconfig' in source) return { path: source.kubeconfig, detail: `taken: ${source.kubeconfig}` };
  const status = await controlPlaneStatus(source.stateDir);
  if (status.condition === 'running' && status.state) return { path: status.state.kubeconfig, detail: `already running in ${source.stateDir}` };
  const started = await startDetachedControlPlane({ stateDir: source.stateDir, withCapi: true, localClustersDir: source.localClustersDir, progress: (line) => say(`  ${line}`) });
  return { path: started.kubeconfig, detail: `started at ${started.server}` };
}

async function identitySecretsPresent(client: KubeClient, clusters: ReadonlyArray<{ stage: string; name: string }>): Promise<void> {
  const missing: string[] = [];
  for (const c of clusters) {
    for (const part of IDENTITY_PARTS) {
      const name = `${c.name}-${part}`;
      try {
        await client.request({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/${c.stage}/secrets/${name}` });
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) missing.push(`${c.stage}/${name}`);
        else throw error;
      }
    }
  }
  if (missing.length) throw new Error(`identity Secrets missing after pulumi up: ${missing.join(', ')}; the Clusters stay paused`);
}

interface ClusterObject {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; workers?: { desiredReplicas?: number; readyReplicas?: number } };
}

/** Why a Cluster is not adopted yet, or undefined when it is Available with its workers ready; pure. */
export function notAdopted(cluster: ClusterObject | undefined): string | undefined {
  if (!cluster) return 'not found';
  const available = cluster.status?.conditions?.find((c) => c.type === 'Available');
  if (available?.status !== 'True') return `Available=${available?.status ?? 'Unknown'}${available?.message ? `: ${available.message.split('\n')[0]}` : ''}`;
  const workers = cluster.status?.workers;
  if (workers && (workers.readyReplicas ?? 0) < (workers.desiredReplicas ?? 0)) return `workers ${workers.readyReplicas ?? 0}/${workers.desiredReplicas} ready`;
  return undefined;
}

async function waitAdopted(client: KubeClient, clusters: string[], timeoutMs: number, say: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const waiting: string[] = [];
    for (const key of clusters) {
      const [namespace, name] = key.split('/');
      let object: ClusterObject | undefined;
      try {
        object = (await client.request<ClusterObject>({ verb: 'get', method: 'GET', path: `/apis/cluster.x-k8s.io/v1beta2/namespaces/${namespace}/clusters/${name}` })).body;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 404)) throw error;
      }
      const why = notAdopted(object);
      if (why) waiting.push(`${key}: ${why}`);
    }
    if (!waiting.length) return;
    const line = `  adopted ${clusters.length - waiting.length}/${clusters.length}; waiting for ${waiting.join('; ')}`;
    if (line !== last) say(line);
    last = line;
    if (Date.now() > deadline) throw new Error(`not every Cluster was adopted in time: ${waiting.join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
