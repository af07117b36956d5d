// Runs the clusterops CLI (src/cli/main.ts) from the TypeScript sources in its own process, as
// bin/clusterops.js runs it from dist/: for commands that run until a signal (`get -w`).
import { runCli } from '../../src/cli/main.js';

runCli(process.argv);
