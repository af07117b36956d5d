import { Option } from 'commander';
import { formatChangeSet, OUTPUT_FORMATS, type ChangeSet, type OutputFormat } from '../../apply/change-set.js';
import { ResourceManager, type Progress } from '../../apply/resource-manager.js';
import type { KubeApi, KubeClient } from '../../kube/client.js';
import { loadFleet } from '../../spec/load.js';
import { formatProblem } from '../../spec/problem.js';
import type { ManifestSet } from '../../model/manifest-set.js';
import { admissionPolicy } from '../../reconciler/admission-policy.js';
import { admit, refusalMessage } from '../../reconciler/admission.js';
import { synthFleet } from '../../synth/synth.js';
import { workloadClusterCrd } from '../../charts/workload-cluster-crd.js';
import { UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { managementClient } from './_management-client.js';

export { processContext } from '../process-context.js';

/** Options shared by `diff` and `apply`. */
export interface ClusterCommandOptions {
  clusters: string;
  kubeconfig?: string;
  context?: string;
  output: OutputFormat;
  prune?: boolean;
  allowMassPrune?: boolean;
  forceConflicts?: boolean;
  timeout: string;
}

/** The `-o` option with its closed list of formats. */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text');
}

/** `30s`, `5m`, `1h` or plain milliseconds to milliseconds; a UsageError otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout ${JSON.stringify(text)} is not a duration (e.g. 90s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

/** The sets of a declared fleet, split by where they are applied. */
export interface DeclaredSets {
  /** One per stage, for the management cluster. */
  management: ManifestSet[];
  /** One per workload cluster (`addons.<stage>.<cluster>`), for that cluster. */
  addons: ManifestSet[];
}

/** The sets of the fleet declared under `dir`, admitted by the admission policy; undefined (problems or refusal printed) otherwise. */
export async function declaredSets(ctx: CommandContext, dir: string): Promise<DeclaredSets | undefined> {
  const { fleet, problems } = await loadFleet(dir);
  for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
  if (!fleet) return undefined;
  const sets = synthFleet(fleet);
  // The reconciler's admission, with the same table and stage.yaml grants: what it would refuse, apply and diff refuse too.
  const verdict = admit(sets, admissionPolicy(fleet.stages));
  if (!verdict.admitted) {
    ctx.stderr.write(`${refusalMessage(verdict.violations)}\n`);
    return undefined;
  }
  return { management: sets.filter((s) => s.target.kind === 'management'), addons: sets.filter((s) => s.target.kind === 'workload') };
}

/** A connection to the management cluster, and the means to make ResourceManagers for other clusters alike. */
export interface ClusterSession {
  client: KubeClient;
  /** The management cluster's ResourceManager. */
  manager: ResourceManager;
  /** A ResourceManager for another cluster (a workload cluster), with the same settings and progress display. */
  managerFor(api: KubeApi): ResourceManager;
  /** Clears the progress line, if one is shown. */
  endProgress: () => void;
}

/** A client and ResourceManager for the chosen kubeconfig and context, with progress on a terminal. */
export async function connect(ctx: CommandContext, opts: ClusterCommandOptions): Promise<ClusterSession> {
  const client = await managementClient(opts);
  const tty = ctx.stderr.isTTY === true && opts.output === 'text';
  let shown = false;
  const onProgress = (p: Progress) => {
    if (!tty) return;
    shown = true;
    ctx.stderr.write(`\r\x1b[K${p.verb} ${p.set}: ${p.done}/${p.total}`);
  };
  const endProgress = () => {
    if (shown) ctx.stderr.write('\r\x1b[K');
    shown = false;
  };
  const waitTimeoutMs = parseDuration(opts.timeout);
  const managerFor = (api: KubeApi) => new ResourceManager(api, { waitTimeoutMs, onProgress });
  // The management sets hold the WorkloadCluster mirrors, whose CRD no set declares.
  const manager = new ResourceManager(client, { waitTimeoutMs, onProgress, prerequisiteCrds: [workloadClusterCrd()] });
  return { client, manager, managerFor, endProgress };
}

/** Prints a ChangeSet on stdout in the chosen format. */
export function printChangeSet(ctx: CommandContext, cs: ChangeSet, format: OutputFormat): void {
  ctx.stdout.write(formatChangeSet(cs, format));
}
