// A git repository made in the test that holds this project's own code (src/, bin/, tools/,
// package.json, package-lock.json, tsconfig.json) and a fleet under clusters/, so the reconciler synthesizes it
// with the real cdk8s charts. The compiled dist/ is committed too (transpiled once per test process,
// type-only, like _ts-hooks.mjs), so the SynthRunner skips its TypeScript build; node_modules is
// linked from this checkout (and reused by the SynthRunner through `seedInstallations: [PROJECT_ROOT]`).
import { declarationYaml } from '../../../src/testing.js';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileTree } from '../../../src/recovery/drill-repo.js';
import { TestRepo } from '../../unit/reconciler/_git-repo.js';

/** This checkout: the nearest folder above this module with src/ and clusterops's package.json (also when run from dist/). */
export const PROJECT_ROOT = ((): string => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'clusterops' && existsSync(path.join(dir, 'src'))) return dir;
    } catch {
      // Not here; look one folder up.
    }
  }
  throw new Error('cannot find the clusterops checkout above this module');
})();

let transpiled: string | undefined;

/** dist/src of this checkout's sources, transpiled once per process into a temp folder. */
function transpiledDist(): string {
  if (transpiled && existsSync(transpiled)) return transpiled;
  const out = mkdtempSync(path.join(tmpdir(), 'clusterops-dist-'));
  transpileTree(path.join(PROJECT_ROOT, 'src'), path.join(out, 'src'));
  transpiled = out;
  return out;
}

/** A declaration as YAML (docker, one control-plane replica, one node pool). */
export function dockerCluster(name: string, extra: { kubernetesVersion?: string; replicas?: number; labels?: Record<string, string> } = {}): string {
  return declarationYaml(name, { kubernetesVersion: extra.kubernetesVersion, labels: extra.labels, nodePools: [{ name: 'general', replicas: extra.replicas ?? 1 }] });
}

/**
 * The example fleet of this repository (clusters/production and clusters/staging, all three
 * providers) with each stage renamed, so tests sharing a control plane never meet.
 */
export function exampleFleet(rename: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [stage, to] of Object.entries(rename)) {
    const dir = path.join(PROJECT_ROOT, 'clusters', stage);
    for (const file of readdirSync(dir)) {
      let text = readFileSync(path.join(dir, file), 'utf8');
      if (file === 'stage.yaml') text = text.replace(new RegExp(`name: ${stage}\\b`), `name: ${to}`);
      files[`clusters/${to}/${file}`] = text;
    }
  }
  return files;
}

/** A repository with this project's code and the given files (path to content), committed once. */
export function projectRepo(files: Record<string, string>, branch = 'main'): TestRepo {
  const repo = new TestRepo(branch);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) cpSync(path.join(PROJECT_ROOT, f), path.join(repo.dir, f));
  for (const d of ['bin', 'tools']) cpSync(path.join(PROJECT_ROOT, d), path.join(repo.dir, d), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'src'), path.join(repo.dir, 'src'), { recursive: true, filter: (s) => !s.endsWith('.test.ts') });
  cpSync(transpiledDist(), path.join(repo.dir, 'dist'), { recursive: true });
  // The dashboard's browser bundle (built by npm run build, which npm test runs first): clusterops dev serves it.
  const web = path.join(PROJECT_ROOT, 'dist', 'web');
  if (existsSync(web)) cpSync(web, path.join(repo.dir, 'dist', 'web'), { recursive: true });
  // The working tree can run bin/clusterops.js itself (clusterops dev); node_modules stays out of git.
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(repo.dir, 'node_modules'), 'dir');
  repo.write('.gitignore', 'node_modules\n.clusterops/\n');
  for (const [file, content] of Object.entries(files)) repo.write(file, content);
  repo.commit('fleet and the code that synthesizes it');
  return repo;
}
