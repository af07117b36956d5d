import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { parseSynthOutput, SynthError, SynthRunner } from '../../../src/reconciler/synth-runner.js';

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

const printEnv = `
const out = [
  '# clusterops manifest set: management.staging',
  'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: env, namespace: staging}',
  'data: {kubeconfig: "' + (process.env.KUBECONFIG ?? 'none') + '", home: "' + process.env.HOME + '", args: "' + process.argv.slice(2).join(' ') + '"}',
  '# clusterops manifest set: addons.staging.dev-local',
  'apiVersion: v1', 'kind: Namespace', 'metadata: {name: team-a}', '---', 'apiVersion: v1', 'kind: Namespace', 'metadata: {name: team-b}',
];
process.stdout.write(out.join('\\n') + '\\n');
`;

describe('parseSynthOutput', () => {
  it('splits the output into sets with their targets', () => {
    const sets = parseSynthOutput('# clusterops manifest set: management.prod\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n# clusterops manifest set: addons.prod.a\n');
    expect(sets).toEqual([
      { id: 'management.prod', target: { kind: 'management', stage: 'prod' }, objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } }] },
      { id: 'addons.prod.a', target: { kind: 'workload', stage: 'prod', cluster: 'a' }, objects: [] },
    ]);
  });

  it('refuses output that is not ManifestSets', () => {
    expect(() => parseSynthOutput('apiVersion: v1\n')).toThrow(SynthError);
    expect(() => parseSynthOutput('# clusterops manifest set: weird\n')).toThrow(/unknown ManifestSet id/);
    expect(() => parseSynthOutput('# clusterops manifest set: management.a\n- just a list\n')).toThrow(/not a Kubernetes object/);
  });
});

describe('SynthRunner', () => {
  it('runs the revision\'s own bin/clusterops.js synth, without KUBECONFIG and with an empty HOME', async () => {
    const cache = tempDir('clusterops-cache-');
    const runner = new SynthRunner({ cacheDir: cache, logger: silentLogger() });
    const before = process.env.KUBECONFIG;
    process.env.KUBECONFIG = '/secret/admin.kubeconfig';
    try {
      const result = await runner.synth(checkout(printEnv));
      expect(result.sets.map((s) => s.id)).toEqual(['management.staging', 'addons.staging.dev-local']);
      const data = result.sets[0].objects[0].data as Record<string, string>;
      expect(data.kubeconfig).toBe('none');
      expect(data.home).toBe(path.join(cache, 'home'));
      expect(data.args).toBe('synth --clusters clusters -o -');
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

  it('kills a synth that runs past its time limit', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger(), timeoutMs: 1000 });
    const t0 = Date.now();
    await expect(runner.synth(checkout('setInterval(() => {}, 1000);'))).rejects.toThrow(/did not finish within 1000 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('stops a synth at its heap limit', async () => {
    const runner = new SynthRunner({ cacheDir: tempDir('clusterops-cache-'), logger: silentLogger(), maxOldSpaceMb: 32, timeoutMs: 60_000 });
    const hog = 'const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()));';
    await expect(runner.synth(checkout(hog))).rejects.toThrow(SynthError);
  });

  it('links dependencies of a known lockfile and compiles TypeScript once per source tree', async () => {
    const cache = tempDir('clusterops-cache-');
    const runner = new SynthRunner({ cacheDir: cache, logger: silentLogger(), seedInstallations: [repoRoot] });
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', outDir: 'dist', rootDir: '.', strict: true, types: ['node'] } }),
      'src/cli/main.ts': `import { stringify } from 'yaml';\nexport function main(): void { process.stdout.write('# clusterops manifest set: management.staging\\n' + stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'built' } })); }\n`,
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
    // The second build is a copy of the first, far quicker than tsc.
    expect(r2.timings.build!).toBeLessThan(r1.timings.build!);

    const broken = checkout(bin, { ...files, 'src/cli/main.ts': 'export const x: number = "not a number";\n' });
    cpSync(path.join(repoRoot, 'package-lock.json'), path.join(broken, 'package-lock.json'));
    cpSync(path.join(repoRoot, 'package.json'), path.join(broken, 'package.json'));
    await expect(runner.synth(broken)).rejects.toThrow(/does not compile/);
  }, 120_000);
});
