/**
 * `clusterops drill`, the whole disaster on this machine with nothing faked: a management cluster
 * with the real Cluster API managers and our local provider, a fleet of three local workload clusters
 * (one protected) brought up by the reconciler, identities from the real Pulumi engine; then the
 * management cluster's processes killed and its data removed, `rebuild`, the reconciler again; the
 * drill's own checks must all pass and it prints the RTO. The first rebuild is SIGKILLed half-way
 * (as it begins to apply) and run again. Long: several minutes on two cores.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `clusterops drill ARGS` as its own process from the sources, as a user runs it (its control planes are detached processes). */
function runDrill(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', path.join(here, '..', '_ts-register.mjs'), path.join(here, '..', '_main-child.ts'), 'drill', ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CLUSTEROPS_TEST_KUBECONFIG: '' } },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface DrillJson {
  passed: boolean;
  rtoSeconds: number;
  clusters: Array<{ name: string; stage: string; protected: boolean }>;
  checks: Array<{ name: string; passed: boolean; detail: string }>;
  steps: Array<{ name: string; seconds: number }>;
  rebuildSteps: Array<{ name: string; seconds: number }>;
}

describe('clusterops drill', () => {
  it('three local clusters survive the loss of their management cluster and a rebuild killed half-way: same processes, Nodes and add-ons, Ready again at the branch head', async () => {
    const run = await runDrill(['--count', '3', '-o', 'json', '--timeout', '15m', '--interrupt-rebuild-at', 'apply paused']);
    const progress = run.stderr.split('\n').slice(-40).join('\n');
    expect(run.stdout, progress).not.toBe('');
    const result = JSON.parse(run.stdout) as DrillJson;
    const failed = result.checks.filter((c) => !c.passed);
    expect(failed, progress).toEqual([]);
    expect(run.code).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      'workload processes kept',
      'etcd data kept',
      'kubeconfig from before works',
      'no Node created or deleted',
      'no cluster duplicated',
      'add-on objects kept their uids',
      'WorkloadClusters Ready at the branch head',
      'a second rebuild changed nothing',
    ]);
    expect(result.clusters.map((c) => [c.stage, c.protected])).toEqual([
      ['production', true],
      ['staging', false],
      ['staging', false],
    ]);
    expect(result.rebuildSteps.map((s) => s.name)).toEqual(['checkout', 'identities in state', 'management cluster', 'lock', 'pulumi up --refresh', 'crds', 'apply paused', 'secrets', 'unpause', 'adopted']);
    // A first rebuild was SIGKILLed as it began to apply; the second one ended the same as an uninterrupted one.
    expect(result.steps.map((s) => s.name)).toEqual([
      'scratch fleet',
      'management cluster',
      'pulumi up (identities)',
      'fleet up',
      'snapshot before',
      'disaster',
      'rebuild killed at "apply paused"',
      'rebuild',
      'Ready at the branch head',
      'rebuild again',
      'Ready again',
      'snapshot after',
    ]);
    expect(result.rtoSeconds).toBeGreaterThan(0);
    process.stderr.write(
      `drill: 3 clusters, RTO ${result.rtoSeconds.toFixed(1)} s; rebuild steps ${result.rebuildSteps.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(', ')}\n`,
    );
  }, 2_400_000);
});
