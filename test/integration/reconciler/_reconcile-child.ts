// Runs `clusterops reconcile …` from the TypeScript sources (through ../_ts-register.mjs) as its own
// process, the way bin/clusterops.js runs it from dist: argv after the script name are the flags.
import { reconcileCommand } from '../../../src/cli/commands/reconcile.js';

try {
  await reconcileCommand().parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
