// The clusterops CLI from the TypeScript sources, exactly as bin/clusterops.js runs it from dist/.
import { runCli } from '../../../src/cli/main.js';

runCli(process.argv);
