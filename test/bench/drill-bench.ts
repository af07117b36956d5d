/**
 * `npm run bench -- drill` (on request: minutes of CPU per size): the disaster-recovery drill as a
 * user runs it, `clusterops drill --count N -o json` as a whole process, at 3 and at 20 local clusters
 * (CLUSTEROPS_BENCH_DRILL_SIZES overrides, e.g. `3,10,20`). Reports the RTO (disaster -> every
 * WorkloadCluster Ready at the branch head), the rebuild's own steps, and per cluster, to show how
 * it grows. Baseline in the same run: bringing the same fleet up from nothing (the drill's `fleet up`
 * step), what a rebuild that provisioned again instead of adopting would cost at the least; the
 * RTO also holds what that step does not (the new management cluster, the preview and up of the
 * stack), so `adopted / fleet up` compares adopting with provisioning alone.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface DrillJson {
  passed: boolean;
  rtoSeconds: number;
  checks: Array<{ name: string; passed: boolean; detail: string }>;
  steps: Array<{ name: string; seconds: number }>;
  rebuildSteps: Array<{ name: string; seconds: number }>;
}

function drillOnce(count: number): Promise<DrillJson> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'clusterops.js'), 'drill', '--count', String(count), '-o', 'json', '--timeout', '30m'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!stdout) return reject(new Error(`drill of ${count} clusters did not finish: ${error?.message}\n${stderr.split('\n').slice(-20).join('\n')}`));
      resolve(JSON.parse(stdout) as DrillJson);
    });
  });
}

export async function runDrillBench(): Promise<void> {
  const sizes = (process.env.CLUSTEROPS_BENCH_DRILL_SIZES ?? '3,20').split(',').map(Number);
  const rows: string[] = ['| clusters | passed | RTO | per cluster | fleet up (baseline) | RTO / fleet up | adopted / fleet up | rebuild: pulumi up | apply paused + unpause | adopted | Ready at head (reconciler) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const count of sizes) {
    const r = await drillOnce(count);
    const step = (name: string) => r.steps.find((s) => s.name === name)?.seconds ?? NaN;
    const rb = (name: string) => r.rebuildSteps.find((s) => s.name === name)?.seconds ?? NaN;
    const fleetUp = step('fleet up');
    const failed = r.checks.filter((c) => !c.passed).map((c) => c.name);
    rows.push(
      `| ${count} | ${r.passed ? 'yes' : `no (${failed.join(', ')})`} | ${r.rtoSeconds.toFixed(1)} s | ${(r.rtoSeconds / count).toFixed(2)} s | ${fleetUp.toFixed(1)} s | ${(r.rtoSeconds / fleetUp).toFixed(2)}x | ${(rb('adopted') / fleetUp).toFixed(2)}x | ${rb('pulumi up --refresh').toFixed(1)} s | ${(rb('apply paused') + rb('unpause')).toFixed(1)} s | ${rb('adopted').toFixed(1)} s | ${step('Ready at the branch head').toFixed(1)} s |`,
    );
    process.stdout.write(`drill ${count}: RTO ${r.rtoSeconds.toFixed(1)} s, steps ${JSON.stringify(r.rebuildSteps)}\n`);
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}
