// `npm run bench -- sandbox`: what the synth sandbox costs. One synth of the example fleet by the
// real SynthRunner, N times with the sandbox and N times without (--insecure-synth), interleaved;
// and a bare `node -e 0` both ways, for the fixed cost of bwrap + setpriv + prlimit.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/reconciler/logger.js';
import { Sandbox } from '../../src/reconciler/sandbox.js';
import { SynthRunner } from '../../src/reconciler/synth-runner.js';
import { exampleFleet, PROJECT_ROOT, projectRepo } from '../integration/reconciler/_project-repo.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median milliseconds of each way, and the probe's. */
export async function runSandboxBench(n = 15): Promise<Record<string, number>> {
  const repo = projectRepo(exampleFleet({ production: 'production', staging: 'staging' }));
  chmodSync(path.join(repo.dir, 'dist'), 0o755); // copied from a mkdtemp folder (0700); git checkouts are 0755
  const caches: string[] = [];
  const cache = () => {
    caches.push(mkdtempSync(path.join(tmpdir(), 'clusterops-bench-')));
    return caches[caches.length - 1];
  };
  try {
    let t = Date.now();
    const sandbox = await Sandbox.probe();
    const probeMs = Date.now() - t;
    const ways = { sandboxed: sandbox, insecure: Sandbox.insecure() };
    const runners = Object.entries(ways).map(([name, s]) => ({ name, s, runner: new SynthRunner({ cacheDir: cache(), logger: silentLogger(), sandbox: s, seedInstallations: [PROJECT_ROOT] }) }));
    const synth: Record<string, number[]> = { sandboxed: [], insecure: [] };
    const bare: Record<string, number[]> = { sandboxed: [], insecure: [] };
    for (const { runner } of runners) await runner.synth(repo.dir); // links dependencies, warms the page cache
    for (let i = 0; i < n; i++) {
      for (const { name, s, runner } of runners) {
        synth[name].push((await runner.synth(repo.dir)).timings.synth!);
        t = Date.now();
        await s.run({ argv: [process.execPath, '-e', '0'], cwd: '/tmp', env: { PATH: '/usr/bin:/bin' }, limits: { addressSpaceMb: 3072, cpuSeconds: 30, fileSizeMb: 1 }, timeoutMs: 60_000 });
        bare[name].push(Date.now() - t);
      }
    }
    const result = {
      probeMs,
      synthSandboxedMs: median(synth.sandboxed),
      synthInsecureMs: median(synth.insecure),
      nodeE0SandboxedMs: median(bare.sandboxed),
      nodeE0InsecureMs: median(bare.insecure),
    };
    process.stdout.write(`sandbox ${sandbox.kind}, ${n} runs each, medians:\n`);
    process.stdout.write(`| what | sandboxed | without | cost |\n| --- | --- | --- | --- |\n`);
    process.stdout.write(`| synth of the example fleet (6 sets) | ${result.synthSandboxedMs} ms | ${result.synthInsecureMs} ms | ${result.synthSandboxedMs - result.synthInsecureMs} ms |\n`);
    process.stdout.write(`| node -e 0 | ${result.nodeE0SandboxedMs} ms | ${result.nodeE0InsecureMs} ms | ${result.nodeE0SandboxedMs - result.nodeE0InsecureMs} ms |\n`);
    process.stdout.write(`| probe at start-up | ${probeMs} ms | – | once |\n`);
    return result;
  } finally {
    repo.cleanup();
    for (const c of caches) rmSync(c, { recursive: true, force: true });
  }
}
