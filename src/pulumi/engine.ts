/**
 * Where the Pulumi engine is: the CLI and language host that tools/build-pulumi.sh built, the
 * PULUMI_HOME holding the kubernetes provider that tools/build-pulumi-kubernetes.sh installed, and
 * the dynamic-provider host script inside the project's @pulumi/pulumi. All three are found in the
 * project's own cache (keyed by the versions in tools/versions.env), so a user edits neither PATH
 * nor PULUMI_HOME; nothing is built or downloaded here.
 */
import { constants, existsSync } from 'node:fs';
import { cacheDir, toolVersions } from '../model/tool-cache.js';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Environment variable naming a folder that holds the `pulumi` binary, before the cache and $PATH are searched. */
export const PULUMI_DIR_ENV = 'CLUSTEROPS_PULUMI_DIR';

/** The Pulumi engine cannot run the management stack; the message says what to do. */
export class PulumiUnavailableError extends Error {}

/** What runs a stack: folders to put first on the engine's PATH, and its PULUMI_HOME. */
export interface PulumiEngine {
  /** The `bin` folder with `pulumi` (and `pulumi-language-nodejs`). */
  pulumiDir: string;
  /** Folder of `pulumi-resource-pulumi-nodejs`, the host of dynamic providers (KeyMaterial). */
  dynamicProviderDir: string;
  /** PULUMI_HOME with the kubernetes provider plugin: the cache's, else the user's own (undefined: Pulumi's default). */
  pulumiHome?: string;
  /** Whether `pulumiHome` holds the kubernetes provider at the pinned version. */
  hasKubernetesProvider: boolean;
}

/** Where the tools/ scripts put the engine for the versions of `projectDir` (what exists there is not checked). */
export function cachedEnginePaths(projectDir: string, env: NodeJS.ProcessEnv = process.env) {
  const v = toolVersions(projectDir);
  const cache = cacheDir(env);
  const kubernetes = v.PULUMI_KUBERNETES_VERSION ?? 'v4.25.0';
  return {
    pulumiDir: path.join(cache, `pulumi-${v.PULUMI_VERSION ?? 'v3.248.0'}-nodejs-${v.PULUMI_LANGUAGE_NODEJS_VERSION ?? 'v3.68.0'}`, 'bin'),
    pulumiHome: path.join(cache, 'pulumi-home'),
    kubernetesPlugin: (home: string) => path.join(home, 'plugins', `resource-kubernetes-${kubernetes}`, 'pulumi-resource-kubernetes'),
  };
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(() => true, () => false);
}

/** The `bin` folder holding `pulumi`: $CLUSTEROPS_PULUMI_DIR, else the project's cache, else the first on $PATH. */
export async function findPulumiDir(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates = [env[PULUMI_DIR_ENV], cachedEnginePaths(projectDir, env).pulumiDir, ...(env.PATH ?? '').split(path.delimiter)];
  for (const dir of candidates.filter((d): d is string => !!d)) {
    // The Automation API runs `<root>/bin/pulumi`, so only a folder named bin can be handed to it.
    if (path.basename(path.resolve(dir)) === 'bin' && (await isExecutable(path.join(dir, 'pulumi')))) return path.resolve(dir);
  }
  throw new PulumiUnavailableError(
    'the pulumi CLI is not built: run `bash tools/build-pulumi.sh` (~17 min cold) and `bash tools/build-pulumi-kubernetes.sh` ' +
      `(the kubernetes provider, ~35 CPU-minutes cold); they cache them under ${cacheDir(env)}`,
  );
}

/** The engine for the project at `projectDir`; a PulumiUnavailableError saying how to build what is missing. */
export async function findPulumiEngine(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<PulumiEngine> {
  const pulumiDir = await findPulumiDir(projectDir, env);
  const paths = cachedEnginePaths(projectDir, env);
  const home = [paths.pulumiHome, env.PULUMI_HOME].find((h) => h && existsSync(paths.kubernetesPlugin(h)));
  let dynamicProviderDir: string;
  try {
    dynamicProviderDir = path.dirname(createRequire(path.join(projectDir, 'package.json')).resolve('@pulumi/pulumi/package.json'));
  } catch {
    throw new PulumiUnavailableError(`@pulumi/pulumi is not installed in ${projectDir} (run npm ci there)`);
  }
  return { pulumiDir, dynamicProviderDir, pulumiHome: home ?? env.PULUMI_HOME, hasKubernetesProvider: home !== undefined };
}

/** The explanation for a missing kubernetes provider plugin. */
export function missingKubernetesProvider(projectDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = toolVersions(projectDir).PULUMI_KUBERNETES_VERSION ?? 'v4.25.0';
  return (
    `the Pulumi kubernetes provider ${v} is not built: run \`bash tools/build-pulumi-kubernetes.sh\` ` +
    `(~35 CPU-minutes and 4 GB cold; it installs into ${cachedEnginePaths(projectDir, env).pulumiHome})`
  );
}
