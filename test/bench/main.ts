/**
 * `npm run bench`: every benchmark of the flow, each printing its numbers and the baseline it is
 * compared with in the same run. Speed targets live here, never in tests.
 * `npm run bench -- synth validate` runs only the named parts.
 */
import { runValidateBench } from './validate-bench.js';
import { runSynthBench } from './synth-bench.js';

const PARTS: Record<string, () => Promise<unknown>> = {
  pulumi: async () => (await import('./pulumi-bench.js')).runPulumiBench(),
  validate: () => runValidateBench(),
  synth: async () => runSynthBench(),
  apply: async () => (await import('./apply-bench.js')).runApplyBench(),
  reconciler: async () => (await import('./reconciler-bench.js')).runReconcilerBench(),
  // One replica with 1,000 clusters: first full apply, latency, requests at rest, memory.
  scale: async () => (await import('./reconciler-bench.js')).runReconcilerBench(1000),
  sandbox: async () => (await import('./sandbox-bench.js')).runSandboxBench(),
  cli: async () => (await import('./cli-bench.js')).runCliBench(),
  'engine-peer': async () => (await import('./engine-peer-bench.js')).runEnginePeerBench(),
  ci: async () => (await import('./ci-bench.js')).runCiBench(),
  local: async () => (await import('./local-bench.js')).runLocalBench(),
  dashboard: async () => (await import('./dashboard-bench.js')).runDashboardBench(),
  helm: async () => (await import('./helm-bench.js')).runHelmBench(),
};

/** Parts run only when named: they cost minutes of CPU. */
const ON_REQUEST: Record<string, () => Promise<unknown>> = {
  'capi-build': async () => (await import('./local-bench.js')).runCapiBuildBench(),
  drill: async () => (await import('./drill-bench.js')).runDrillBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(PARTS)) {
  const run = PARTS[name] ?? ON_REQUEST[name];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${[...Object.keys(PARTS), ...Object.keys(ON_REQUEST)].join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n## ${name}\n`);
  await run();
}
