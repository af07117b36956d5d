/**
 * Where the helm CLI is that renders Helm add-ons: $CLUSTEROPS_HELM, else the one tools/build-helm.sh
 * built into the project's cache (keyed by HELM_VERSION in tools/versions.env), else `helm` on $PATH.
 * Nothing is built or downloaded here.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { cacheDir, installationDir, toolVersions } from '../model/tool-cache.js';

/** Environment variable naming the helm binary, before the cache and $PATH are searched. */
export const HELM_ENV = 'CLUSTEROPS_HELM';

/** The whole environment of a helm run: its config, cache and data homes under `home` (never the user's ~/.config/helm), and the proxies. */
export function helmEnv(home: string): NodeJS.ProcessEnv {
  const proxies = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : []));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    ...Object.fromEntries(proxies),
  };
}

/** What a failed helm run said: the first `lines` of its stderr without helm's `Error: `, else the error's own message. */
export function helmSaid(error: unknown, lines = 1): string {
  const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
  return stderr.replace(/^Error: /, '').split('\n').slice(0, lines).join('\n') || (error as Error).message;
}

/** No helm binary was found; the message says how to get one. */
export class HelmUnavailableError extends Error {}

/** Where tools/build-helm.sh puts helm for the versions of `projectDir` (whether it exists is not checked). */
export function cachedHelmPath(projectDir: string = installationDir(), env: NodeJS.ProcessEnv = process.env): string {
  const version = toolVersions(projectDir).HELM_VERSION ?? 'v4.3.2';
  return path.join(cacheDir(env), 'bin', `helm-${version}`, 'helm');
}

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

let found: { key: string; file: string } | undefined;

/** The helm binary to run (an absolute path), found once per environment. */
export function findHelm(env: NodeJS.ProcessEnv = process.env): string {
  const key = `${env[HELM_ENV] ?? ''}\0${env.PATH ?? ''}`;
  if (found?.key === key) return found.file;
  const named = env[HELM_ENV];
  if (named) {
    if (!isExecutable(named)) throw new HelmUnavailableError(`${HELM_ENV}=${named} is not an executable file`);
    found = { key, file: path.resolve(named) };
    return found.file;
  }
  const candidates = [cachedHelmPath(installationDir(), env), ...(env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'helm'))];
  const file = candidates.find(isExecutable);
  if (!file) {
    throw new HelmUnavailableError(
      `Helm add-ons need the helm CLI: run \`bash tools/build-helm.sh\` (builds it into ${path.dirname(candidates[0]!)}), or set ${HELM_ENV} to a helm binary`,
    );
  }
  found = { key, file: path.resolve(file) };
  return found.file;
}
