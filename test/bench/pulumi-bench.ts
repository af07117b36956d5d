/**
 * Benchmark of the real Pulumi engine on the management stack (`npm run bench -- pulumi`): at 4 and
 * at 100 clusters, the first preview, the up that creates everything, and a no-op preview after it
 * (3 runs), each through the Automation API as `clusterops preview [--up]` runs it: file backend in
 * a temp folder, a passphrase, the reconciler workload not awaited (the bench control plane has no
 * kubelet). Against a control plane of its own per size (or CLUSTEROPS_BENCH_KUBECONFIG's: then
 * the sizes meet each other's retained protected Secrets, so give one size at a time).
 * Run after `tsc`: `node dist/test/bench/pulumi-bench.js`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { managementWorkspace, runManagementStack, type StackRunReport } from '../../src/pulumi/stack-run.js';
import { findPulumiEngine } from '../../src/pulumi/engine.js';
import { benchCluster, writeFleet } from './_fixtures.js';
import { spread } from './_stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PASSPHRASE = 'bench-passphrase-not-secret';
const NO_OP_RUNS = 3;

/** One fleet size's times, in ms. */
export interface PulumiBenchRow {
  clusters: number;
  resources: number;
  preview: number;
  up: number;
  noOpPreview: ReturnType<typeof spread>;
  noOpChanges: number;
}

const counts = (r: StackRunReport) =>
  Object.entries(r.summary)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');

async function benchSize(clusters: number, kubeconfig: string, work: string): Promise<PulumiBenchRow> {
  const fleet = writeFleet(clusters);
  const stages = readdirSync(fleet).sort();
  const backend = `file://${mkdtempSync(path.join(work, 'state-'))}`;
  const stack = `bench-${clusters}-${Date.now().toString(36)}`;
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
  const options = { projectDir: ROOT, clusters: fleet, kubeconfig, backend, stack };
  const ws = await managementWorkspace(options, env);
  const { Stack } = await import('@pulumi/pulumi/automation/index.js');
  const s = await Stack.create(stack, ws);
  try {
    await s.setAllConfig({
      stages: { value: stages.join(',') },
      gitUrl: { value: 'https://git.example.com/platform/fleet.git' },
      reconcilerVersion: { value: 'v0.1.0' },
      reconcilerWorkload: { value: 'skipAwait' },
      gitToken: { value: 'bench-token', secret: true },
      webhookSecret: { value: 'bench-webhook', secret: true },
    });
    const preview = await runManagementStack(options, env);
    process.stderr.write(`pulumi bench: ${clusters} clusters: preview ${preview.durationMs} ms (${counts(preview)})\n`);
    const up = await runManagementStack({ ...options, up: true }, env);
    process.stderr.write(`pulumi bench: ${clusters} clusters: up ${up.durationMs} ms (${counts(up)})\n`);
    const noOp: number[] = [];
    let noOpChanges = 0;
    for (let i = 0; i < NO_OP_RUNS; i++) {
      const r = await runManagementStack(options, env);
      noOp.push(r.durationMs);
      noOpChanges = r.steps.filter((st) => st.op !== 'same').length;
      process.stderr.write(`pulumi bench: ${clusters} clusters: no-op preview ${r.durationMs} ms (${counts(r)})\n`);
    }
    return { clusters, resources: up.summary.create ?? 0, preview: preview.durationMs, up: up.durationMs, noOpPreview: spread(noOp), noOpChanges };
  } finally {
    // Protected identities are released in bench state only, then everything is destroyed.
    const pulumi = path.join((await findPulumiEngine(ROOT)).pulumiDir, 'pulumi');
    execFileSync(pulumi, ['state', 'unprotect', '--all', '--yes', '--stack', stack], { cwd: ROOT, env: { ...process.env, ...ws.envVars }, stdio: 'ignore' });
    await s.destroy({ color: 'never' }).catch((e: unknown) => process.stderr.write(`pulumi bench: destroy failed: ${(e as Error).message.slice(0, 300)}\n`));
    rmSync(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
    rmSync(fleet, { recursive: true, force: true });
  }
}

export async function runPulumiBench(sizes: number[] = [4, 100]): Promise<PulumiBenchRow[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'clusterops-pulumi-bench-'));
  const rows: PulumiBenchRow[] = [];
  try {
    process.stdout.write('| clusters | resources created | preview (first) | up | no-op preview |\n| --- | --- | --- | --- | --- |\n');
    for (const clusters of sizes) {
      // A control plane per size: destroy retains the protected clusters' Secrets (retainOnDelete), which the next size would meet.
      const cluster = await benchCluster(path.join(work, `cp-${clusters}`));
      let row: PulumiBenchRow;
      try {
        row = await benchSize(clusters, cluster.kubeconfig, work);
      } finally {
        await cluster.stop();
      }
      rows.push(row);
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      process.stdout.write(
        `| ${clusters} | ${row.resources} | ${s(row.preview)} | ${s(row.up)} | ${s(row.noOpPreview.median)} median (${s(row.noOpPreview.min)}–${s(row.noOpPreview.max)}, ${row.noOpPreview.runs} runs; ${row.noOpChanges} steps not \`same\`) |\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runPulumiBench();
