// Run by control-plane.test.ts as a separate Node process (through _ts-register.mjs): starts a control
// plane in the state dir given as argv[2], prints its pids as one JSON line, and waits to be killed.
import { ControlPlane } from '../../src/controlplane/control-plane.js';

const controlPlane = await ControlPlane.start({ stateDir: process.argv[2], progress: () => undefined, waitForControllers: false });
process.stdout.write(`${JSON.stringify({ owner: process.pid, pids: controlPlane.pids })}\n`);
setInterval(() => undefined, 60_000);
