// One way to make a Reconciler in tests: a real GitSource and SynthRunner on the repository at
// `url`, state under `work`, silent logs, fresh metrics, quick retries; anything may be overridden.
import path from 'node:path';
import type { KubeApi } from '../../../src/kube/client.js';
import { GitSource } from '../../../src/reconciler/git-source.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { ReconcilerMetrics } from '../../../src/reconciler/metrics.js';
import { Reconciler, type ReconcilerOptions } from '../../../src/reconciler/reconciler.js';
import { SynthRunner, type SynthRunnerOptions } from '../../../src/reconciler/synth-runner.js';

/** A Reconciler of the repository at `url` against `api`, with `overrides` (and SynthRunner `synth` options) on top. */
export function testReconciler(
  url: string,
  work: string,
  api: KubeApi,
  overrides: Partial<ReconcilerOptions> = {},
  synth: Partial<SynthRunnerOptions> = {},
): Reconciler {
  return new Reconciler({
    source: new GitSource({ url, dir: path.join(work, 'git') }),
    synthesizer: new SynthRunner({ cacheDir: path.join(work, 'cache'), logger: silentLogger(), ...synth }),
    api,
    logger: silentLogger(),
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    backoffBaseMs: 10,
    ...overrides,
  });
}
