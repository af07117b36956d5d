/**
 * Runs of the management stack (stacks/, Pulumi.yaml) through the Automation API with the engine the
 * tools/ scripts built: preview, up, and reading what its state holds. Used by `preview`, `ci` and `rebuild`.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EngineEvent, OpType } from '@pulumi/pulumi/automation/index.js';
import { findPulumiEngine, missingKubernetesProvider, PulumiUnavailableError } from './engine.js';
import { explainPulumiFailure } from './failures.js';

/** Environment variable the stacks/ program reads the clusters folder from (see stacks/config.ts). */
export const CLUSTERS_DIR_ENV = 'CLUSTEROPS_CLUSTERS_DIR';

export { PULUMI_DIR_ENV, PulumiUnavailableError, findPulumiDir } from './engine.js';
export { explainPulumiFailure } from './failures.js';

/** A run of the management stack failed for a reason the user can fix; the message says how. */
export class PulumiStackError extends Error {}

/** What `clusterops preview` and `ci` need to run the management stack. */
export interface StackRunOptions {
  /** Folder with Pulumi.yaml. @default the nearest folder up from the working directory that has one */
  projectDir?: string;
  /** Clusters folder handed to the program. */
  clusters: string;
  kubeconfig?: string;
  /** State backend, e.g. `file:///var/lib/clusterops/state`. @default $PULUMI_BACKEND_URL, else `file://~` */
  backend?: string;
  /** Stack name. @default the workspace's selected stack */
  stack?: string;
  /** Apply instead of previewing. @default false */
  up?: boolean;
  /** Refresh from the cluster first (what a rebuilt cluster lacks is then created again from state). @default false */
  refresh?: boolean;
  /** Only `pulumi refresh` (the state made to match the cluster), neither preview nor up. @default false */
  refreshOnly?: boolean;
  /** URNs left out of the run, with their children (`--exclude`): neither changed nor deleted. @default none */
  exclude?: string[];
  /** Receives Pulumi's own progress output. */
  onOutput?: (text: string) => void;
}

/** One resource step Pulumi planned (or took). */
export interface StackStep {
  op: OpType;
  type: string;
  /** Logical name, e.g. `production/payments-eu1/ca-secret`. */
  name: string;
}

/** The outcome of one preview or up. */
export interface StackRunReport {
  stack: string;
  steps: StackStep[];
  /** Count of steps per operation, as Pulumi summarises them. */
  summary: Partial<Record<OpType, number>>;
  durationMs: number;
}

/** The nearest folder at or above `from` that holds Pulumi.yaml. */
export function findProjectDir(from: string = process.cwd()): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'Pulumi.yaml'))) return dir;
    if (path.dirname(dir) === dir) throw new PulumiStackError(`no Pulumi.yaml in ${from} or any folder above it`);
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, (await stat(path.join(e.parentPath, e.name))).mtimeMs);
  }
  return newest;
}

/** Compiles stacks/ into dist/stacks/ (what Pulumi.yaml runs) when the compiled program is missing or older than its sources. */
export async function compileProgram(projectDir: string): Promise<void> {
  const main = path.join(projectDir, 'dist', 'stacks', 'index.js');
  const sources = path.join(projectDir, 'stacks');
  if (existsSync(main) && statSync(main).mtimeMs >= (await newestMtime(sources))) return;
  const require = createRequire(path.join(projectDir, 'package.json'));
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', sources], { cwd: projectDir, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? '';
    throw new PulumiStackError(`stacks/ does not compile:\n${out.split('\n').slice(0, 20).join('\n')}`);
  }
}

/** The logical resource name at the end of a URN. */
export function urnName(urn: string): string {
  return urn.split('::').slice(3).join('::');
}

/** Where a run of the management stack happens: the project, the backend and the engine's environment. */
export type WorkspaceOptions = Pick<StackRunOptions, 'projectDir' | 'clusters' | 'kubeconfig' | 'backend'>;

/**
 * A LocalWorkspace of the management project, with the engine the tools/ scripts built (no PATH or
 * PULUMI_HOME edits by the user), the file backend, and the passphrase from `env`. The program is
 * compiled first when its sources are newer. Nothing is installed or downloaded.
 */
export async function managementWorkspace(options: WorkspaceOptions, env: NodeJS.ProcessEnv = process.env) {
  const projectDir = options.projectDir ?? findProjectDir();
  const engine = await findPulumiEngine(projectDir, env);
  if (!engine.hasKubernetesProvider) throw new PulumiUnavailableError(missingKubernetesProvider(projectDir, env));
  if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new PulumiStackError('set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase of the stack');
  }
  await compileProgram(projectDir);
  const { LocalWorkspace, PulumiCommand } = await import('@pulumi/pulumi/automation/index.js');
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: options.backend ?? env.PULUMI_BACKEND_URL ?? 'file://~',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    [CLUSTERS_DIR_ENV]: path.resolve(options.clusters),
    // The language host beside pulumi, and the dynamic-provider host (KeyMaterial) from the project's @pulumi/pulumi.
    PATH: [engine.pulumiDir, engine.dynamicProviderDir, env.PATH ?? ''].join(path.delimiter),
  };
  for (const key of ['PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_FILE'] as const) {
    if (env[key] !== undefined) envVars[key] = env[key]!;
  }
  if (engine.pulumiHome) envVars.PULUMI_HOME = engine.pulumiHome;
  if (options.kubeconfig) envVars.KUBECONFIG = path.resolve(options.kubeconfig);
  try {
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(engine.pulumiDir), skipVersionCheck: true });
    return await LocalWorkspace.create({ workDir: projectDir, envVars, pulumiCommand });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new PulumiUnavailableError(`the pulumi CLI in ${engine.pulumiDir} cannot be run`);
    throw new PulumiStackError(explainPulumiFailure(error));
  }
}

/** Creates a stack in the backend with the given config (`secret` values stored encrypted); an error when it exists. */
export async function initStack(
  options: WorkspaceOptions & { stack: string },
  config: Record<string, { value: string; secret?: boolean }>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const ws = await managementWorkspace(options, env);
  const { Stack } = await import('@pulumi/pulumi/automation/index.js');
  try {
    const stack = await Stack.create(options.stack, ws);
    await stack.setAllConfig(config);
  } catch (error) {
    throw new PulumiStackError(explainPulumiFailure(error));
  }
}

/** One resource of a stack's state: its type and logical name (`urnName`). */
export interface StateResource {
  urn: string;
  type: string;
  name: string;
}

/**
 * The resources the state of `stack` holds, read with `pulumi stack export` (nothing is changed);
 * undefined when the backend has no such stack.
 */
export async function stackResources(options: WorkspaceOptions & { stack: string }, env: NodeJS.ProcessEnv = process.env): Promise<StateResource[] | undefined> {
  const ws = await managementWorkspace(options, env);
  try {
    const known = (await ws.listStacks()).map((s) => s.name);
    if (!known.includes(options.stack)) return undefined;
    const exported = await ws.exportStack(options.stack);
    const resources = (exported.deployment as { resources?: Array<{ urn: string; type: string }> }).resources ?? [];
    return resources.map((r) => ({ urn: r.urn, type: r.type, name: urnName(r.urn) }));
  } catch (error) {
    throw new PulumiStackError(explainPulumiFailure(error));
  }
}

/**
 * Runs `pulumi preview` (or `up`) of the management stack through the Automation API, with a file
 * backend and the passphrase from the environment. Nothing is installed or downloaded.
 */
export async function runManagementStack(options: StackRunOptions, env: NodeJS.ProcessEnv = process.env): Promise<StackRunReport> {
  const ws = await managementWorkspace(options, env);
  const { Stack } = await import('@pulumi/pulumi/automation/index.js');
  const started = Date.now();
  try {
    let name = options.stack;
    if (!name) {
      const current = await ws.stack();
      if (!current) {
        const known = (await ws.listStacks()).map((s) => s.name);
        throw new PulumiStackError(
          `no Pulumi stack is selected: pass --stack NAME or run \`pulumi stack select NAME\`` +
            (known.length ? ` (stacks in this backend: ${known.join(', ')})` : ' (this backend has no stack yet: pulumi stack init NAME)'),
        );
      }
      name = current.name;
    }
    const stack = await Stack.select(name, ws);
    const steps: StackStep[] = [];
    const onEvent = (e: EngineEvent) => {
      const m = e.resourcePreEvent?.metadata;
      if (m && m.type !== 'pulumi:pulumi:Stack') steps.push({ op: m.op, type: m.type, name: urnName(m.urn) });
    };
    const exclude = options.exclude?.length ? { exclude: options.exclude, excludeDependents: true } : {};
    const common = { onOutput: options.onOutput, onEvent, color: 'never' as const, ...exclude };
    const result = options.refreshOnly
      ? await stack.refresh(common)
      : options.up
        ? await stack.up({ ...common, refresh: options.refresh })
        : await stack.preview({ ...common, refresh: options.refresh });
    const summary =
      options.up || options.refreshOnly
        ? ((result as { summary: { resourceChanges?: Record<string, number> } }).summary.resourceChanges ?? {})
        : (result as { changeSummary: Record<string, number> }).changeSummary;
    return { stack: name, steps, summary: summary as StackRunReport['summary'], durationMs: Date.now() - started };
  } catch (error) {
    if (error instanceof PulumiStackError) throw error;
    throw new PulumiStackError(explainPulumiFailure(error));
  }
}
