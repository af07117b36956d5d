import { findHelm } from '../../../src/helm/helm-binary.js';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { SynthError, SynthRunner } from '../../../src/reconciler/synth-runner.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const cleanups: string[] = [];
afterEach(() => {
  for (const d of cleanups.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(d);
  return d;
}

/** A checkout whose bin/clusterops.js is the given script body (an ES module). */
function checkout(script: string, files: Record<string, string> = {}): string {
  const dir = tempDir('clusterops-checkout-');
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(path.join(dir, 'clusters', 'staging'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(dir, 'bin', 'clusterops.js'), script);
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), c);
  }
  return dir;
}

/** A bin/clusterops.js body that writes `sets` (a JS expression) as a manifest-sets/v1 document. */
function emitting(sets: string, before = ''): string {
  return `${before}\nprocess.stdout.write(JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets: ${sets} }) + '\\n');\n`;
}

const printEnv = emitting(`[
  { id: 'management.staging', target: { kind: 'management', stage: 'staging' }, objects: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'env', namespace: 'staging' },
      data: { kubeconfig: process.env.KUBECONFIG ?? 'none', home: process.env.HOME, args: process.argv.slice(2).join(' '), env: Object.keys(process.env).sort().join(',') } } ] },
  { id: 'addons.staging.dev-local', target: { kind: 'workload', stage: 'staging', cluster: 'dev-local' }, objects: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } } ] },
]`);

/** Whether this machine has a helm binary for the Helm add-ons (tools/build-helm.sh). */
function hasHelm(): boolean {
  try {
    findHelm();
    return true;
  } catch {
    return false;
  }
}

describe('SynthRunner', () => {
  it('runs the revision\'s own bin/clusterops.js synth, with an allowlisted environment and an empty HOME', async () => {
    const cache = tempDir('clusterops-cache-');
    const runner = new SynthRunner({ cacheDir: cache, logger: silentLogger() });
    const before = process.env.KUBECONFIG;
    process.env.KUBECONFIG = '/secret/admin.kubeconfig';
    try {
      const result = await runner.synth(checkout(printEnv));
      expect(result.sets.map((s) => s.id)).toEqual(['management.staging', 'addons.staging.dev-local']);
      const data = result.sets[0].objects[0].data as Record<string, string>;
      expect(data.kubeconfig).toBe('none');
      expect(data.home).toBe('/tmp');
      // CLUSTEROPS_CHART_PULL=never (the synth has no network) and CLUSTEROPS_HELM (the helm binary, read-only) when this installation has one.
      expect(data.env).toBe(`CLUSTEROPS_CHART_PULL,${hasHelm() ? 'CLUSTEROPS_HELM,' : ''}HOME,LANG,NODE_ENV,NODE_OPTIONS,PATH,PWD,TMPDIR`);
      expect(data.args).toBe('synth --clusters clusters --format sets-json');
      expect(result.sets[1].objects.map((o) => o.metadata.name)).toEqual(['team-a', 'team-b']);
    } finally {
      if (before === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = before;
    }
  });

  it('reports validation problems from the child\'s stderr', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger() });
    const bad = checkout(`process.stderr.write('clusters/staging/a.yaml:3:5: spec.provider: must be one of docker, aws, azure\\n'); process.exitCode = 1;`);
    const error = (await runner.synth(bad).then(() => undefined, (e: unknown) => e)) as SynthError;
    expect(error).toBeInstanceOf(SynthError);
    expect(error.phase).toBe('synth');
    expect(error.message).toContain('clusters/staging/a.yaml:3:5: spec.provider');
  });

  it('says so when the revision\'s clusterops predates the manifest-sets/v1 interface', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger() });
    // What commander in an older clusterops prints for the flag it does not know.
    const old = checkout(`process.stderr.write("error: unknown option '--format'\\n(run with --help for usage)\\n"); process.exitCode = 2;`);
    await expect(runner.synth(old)).rejects.toThrow(/this revision's clusterops does not offer clusterops.io\/manifest-sets\/v1 \(its synth has no --format sets-json\)/);
  });

  it('kills a synth that runs past its time limit', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger(), timeoutMs: 1000 });
    await expect(runner.synth(checkout('setInterval(() => {}, 1000);'))).rejects.toThrow(/did not finish within 1000 ms/);
  });

  it('stops a synth at its heap limit', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger(), maxOldSpaceMb: 32, timeoutMs: 60_000 });
    const hog = 'const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()));';
    await expect(runner.synth(checkout(hog))).rejects.toThrow(/synth ran out of memory \(limit: 3072 MiB of address space, 32 MiB of heap\)/);
  });

  it('links dependencies of a known lockfile and transpiles TypeScript once per source tree', async () => {
    const cache = tempDir('clusterops-cache-');
    const runner = new SynthRunner({ cacheDir: cache, logger: silentLogger(), seedInstallations: [repoRoot] });
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', outDir: 'dist', rootDir: '.', strict: true, types: ['node'] } }),
      'src/cli/main.ts': `import { stringify } from 'yaml';\nexport function main(): void { stringify({}); process.stdout.write(JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets: [{ id: 'management.staging', target: { kind: 'management', stage: 'staging' }, objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'built' } }] }] })); }\n`,
    };
    const bin = `import { main } from '../dist/src/cli/main.js'; main();`;
    const first = checkout(bin, files);
    cpSync(path.join(repoRoot, 'package-lock.json'), path.join(first, 'package-lock.json'));
    cpSync(path.join(repoRoot, 'package.json'), path.join(first, 'package.json'));
    const r1 = await runner.synth(first);
    expect(r1.sets[0].objects[0].metadata.name).toBe('built');
    expect(lstatSync(path.join(first, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(first, 'dist', 'src', 'cli', 'main.js'))).toBe(true);

    const second = checkout(bin, files);
    cpSync(path.join(repoRoot, 'package-lock.json'), path.join(second, 'package-lock.json'));
    cpSync(path.join(repoRoot, 'package.json'), path.join(second, 'package.json'));
    const r2 = await runner.synth(second);
    expect(r2.sets).toEqual(r1.sets);
    // The second build is a copy of the first, quicker than the transpile.
    expect(r2.timings.build!).toBeLessThan(r1.timings.build!);

    const withRevision = (source: string) => {
      const dir = checkout(bin, { ...files, 'src/cli/main.ts': source });
      cpSync(path.join(repoRoot, 'package-lock.json'), path.join(dir, 'package-lock.json'));
      cpSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
      return dir;
    };
    // A transpile, not a type check (that is the revision's CI): a type error builds and runs.
    const mistyped = `${files['src/cli/main.ts']}export const x: number = "not a number" as unknown as string;\n`;
    expect((await runner.synth(withRevision(mistyped))).sets[0].objects[0].metadata.name).toBe('built');
    // A syntax error does not build, and says where.
    await expect(runner.synth(withRevision('export function main( {\n'))).rejects.toThrow(/does not compile:\n.*src\/cli\/main\.ts:\d+:\d+: /);
  }, 120_000);

  it('works from a relative cache folder (the default --cache-dir of clusterops reconcile)', async () => {
    const cache = path.relative(process.cwd(), tempDir('clusterops-cache-'));
    expect(path.isAbsolute(cache)).toBe(false);
    const runner = new SynthRunner({ cacheDir: cache, logger: silentLogger(), seedInstallations: [repoRoot] });
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', outDir: 'dist', rootDir: '.', strict: true, types: ['node'] } }),
      'src/cli/main.ts': `export function main(): void { process.stdout.write(JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets: [] })); }\n`,
    };
    // Deeper than the working directory, as the reconciler's checkouts are, so a relative link cannot resolve by chance.
    const dir = path.join(tempDir('clusterops-deep-'), 'git', 'checkouts', 'rev');
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(checkout(`import { main } from '../dist/src/cli/main.js'; main();`, files), dir);
    cpSync(path.join(repoRoot, 'package-lock.json'), path.join(dir, 'package-lock.json'));
    cpSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
    expect((await runner.synth(dir)).sets).toEqual([]);
  }, 120_000);
});
