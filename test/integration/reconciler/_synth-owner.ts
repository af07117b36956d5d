// Run by hostile-commit.test.ts as its own Node process (through ../_ts-register.mjs), standing in
// for the reconciler: it holds secrets in its environment (set by the test), its command line (the
// repository URL with a token), a kubeconfig and a webhook secret file, and synthesizes one checkout
// with a real SynthRunner. Prints `{"owner": pid}`, then `{"sets": …}` or `{"error": …}` as JSON lines.
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';

interface OwnerConfig {
  checkout: string;
  cacheDir: string;
  repo: string;
  kubeconfig: string;
  webhookSecretFile: string;
  /** Runs without the sandbox, to show that the redaction holds on its own. */
  insecure?: boolean;
}

const config = JSON.parse(process.argv[2]) as OwnerConfig;
const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
say({ owner: process.pid });

// Loaded by name, so that this child also runs against a SynthRunner from before the sandbox (to see the tests fail).
const { SynthRunner } = await import('../../../src/reconciler/synth-runner.js');
const { Sandbox } = await import('../../../src/reconciler/sandbox.js');
const { Redactor } = await import('../../../src/reconciler/redact.js');
const reconcilerProcess = (await import('../../../src/reconciler/reconciler-process.js')) as Record<string, unknown>;
const holdSecrets = reconcilerProcess.holdSecrets as undefined | ((r: unknown, held: unknown) => unknown);
const redactor = new Redactor();
holdSecrets?.(redactor, { repo: config.repo, kubeconfig: loadKubeconfig({ path: config.kubeconfig }), webhookSecret: readFileSync(config.webhookSecretFile) });

const runner = new SynthRunner({
  cacheDir: config.cacheDir,
  logger: silentLogger(),
  timeoutMs: 600_000,
  redactor,
  sandbox: config.insecure ? Sandbox.insecure() : undefined,
});
try {
  say({ sets: (await runner.synth(config.checkout)).sets });
} catch (error) {
  say({ error: error instanceof Error ? error.message : String(error) });
}
