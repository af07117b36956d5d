// Runs `clusterops controlplane …` from the TypeScript sources (through _ts-register.mjs), the way
// src/cli/main.ts runs it from dist: argv after the script name are the subcommand and its flags.
import { controlPlaneCommand } from '../../src/cli/commands/controlplane.js';

try {
  await controlPlaneCommand().parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
