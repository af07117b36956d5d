/**
 * Where the tools/ scripts put what they build: the cache root, and the versions they build
 * (tools/versions.env). The Pulumi engine and helm are found there, so a user edits no PATH.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable of the cache root the tools/ scripts build into. */
export const CACHE_DIR_ENV = 'CLUSTEROPS_CACHE_DIR';

/** The versions in tools/versions.env of the project at `projectDir` (KEY=VALUE lines). */
export function toolVersions(projectDir: string): Record<string, string> {
  const file = path.join(projectDir, 'tools', 'versions.env');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(\S*)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The cache root of the tools/ scripts: $CLUSTEROPS_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/clusterops. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[CACHE_DIR_ENV] || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'clusterops');
}

/** The folder of the running clusterops (its package.json and tools/), whose tools/versions.env names what it runs. */
export function installationDir(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tools'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}
