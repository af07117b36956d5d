// Runs `clusterops local-provider …` from the TypeScript sources (through ../_ts-register.mjs) as its
// own process, the way bin/clusterops.js runs it from dist: argv after the script name are its flags.
import { localProviderCommand } from '../../../src/cli/commands/local-provider.js';

try {
  await localProviderCommand().parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
