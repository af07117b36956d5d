// A `clusterops reconcile` process with `--pulumi-stack`, from the TypeScript sources: the flags
// (ReconcileFlags as JSON in argv[2]) go through the command's own checks (reconcileOptions); the
// one addition is that revisions reuse this checkout's node_modules (no `npm ci` in tests), as
// `clusterops dev` does. Stops on SIGTERM.
import { reconcileOptions, type ReconcileFlags } from '../../../src/cli/commands/_reconcile-flags.js';
import { untilSignal } from '../../../src/cli/commands/reconcile.js';
import { createLogger } from '../../../src/reconciler/logger.js';
import { Redactor } from '../../../src/reconciler/redact.js';
import { startReconcilerProcess } from '../../../src/reconciler/reconciler-process.js';
import { PROJECT_ROOT } from './_project-repo.js';

try {
  const flags = JSON.parse(process.argv[2]!) as ReconcileFlags;
  const redactor = new Redactor();
  const logger = createLogger({ redactor, format: 'json', level: 'debug' });
  const running = await startReconcilerProcess({ ...reconcileOptions(flags, logger, redactor), seedInstallations: [PROJECT_ROOT] });
  await untilSignal();
  await running.stop();
  logger.flush();
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
