/**
 * Entry point of the detached supervisor that `clusterops controlplane start` leaves running: it owns
 * the control plane's processes (which die with it, even on SIGKILL), stops them on SIGTERM/SIGINT,
 * and reports progress and readiness to the starting CLI over the IPC channel, then lets it go.
 *
 *   node dist/src/controlplane/supervisor-main.js --state-dir DIR [--no-crds] [--bin-dir DIR] [--with-capi]
 *        [--cluster-name NAME] [--apiserver-port PORT] [--local-clusters-dir DIR]
 *
 * With `--with-capi` it also runs the Cluster API managers and the local provider (cluster-api-runtime.ts),
 * whose workload clusters live in `--local-clusters-dir` (default `<state-dir>/local-clusters`).
 */
import { parseArgs } from 'node:util';
import { ControlPlane } from './control-plane.js';
import { ClusterApiRuntime, localProviderController } from './cluster-api-runtime.js';
import { installClusterApiCrds } from './crds.js';
import { adminClient } from './_admin-client.js';
import { removeWebhookConfigurations } from './webhook-configurations.js';

/** Messages the supervisor sends to the process that started it. */
export type SupervisorMessage =
  | { type: 'progress'; line: string }
  | { type: 'ready'; kubeconfig: string; server: string; pid: number }
  | { type: 'error'; message: string };

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

function report(message: SupervisorMessage): void {
  if (message.type === 'progress') log(message.line);
  if (message.type === 'error') log(`error: ${message.message}`);
  if (process.connected) process.send?.(message);
}

async function run(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'state-dir': { type: 'string' },
      'bin-dir': { type: 'string' },
      'no-crds': { type: 'boolean', default: false },
      'cluster-name': { type: 'string' },
      'apiserver-port': { type: 'string' },
      'with-capi': { type: 'boolean', default: false },
      'local-clusters-dir': { type: 'string' },
    },
  });
  const stateDir = values['state-dir'];
  if (!stateDir) {
    report({ type: 'error', message: 'supervisor-main: --state-dir is required' });
    return 2;
  }

  let controlPlane: ControlPlane | undefined;
  let clusterApi: ClusterApiRuntime | undefined;
  let ready = false;
  let shuttingDown: Promise<number> | undefined;
  let stopRequested: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (stopRequested = resolve));
  const shutdown = (why: string, code: number): void => {
    if (!ready) {
      // Still starting: leave at once; the exit hook kills what was started (see supervised-process.ts).
      report({ type: 'error', message: `start aborted (${why})` });
      process.exit(code || 1);
    }
    shuttingDown ??= (async () => {
      log(`stopping (${why})`);
      await clusterApi?.stop();
      await controlPlane?.stop();
      log('stopped');
      return code;
    })();
    void shuttingDown.then(stopRequested);
  };
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(name, () => shutdown(name, 0));
  // The CLI went away before the control plane was ready (Ctrl-C): nobody wants it any more.
  process.on('disconnect', () => {
    if (!ready) shutdown('the starting command went away', 1);
  });

  try {
    controlPlane = await ControlPlane.start({
      stateDir,
      binDir: values['bin-dir'],
      detached: true,
      clusterName: values['cluster-name'],
      apiserverPort: values['apiserver-port'] === undefined ? undefined : Number(values['apiserver-port']),
      progress: (line) => report({ type: 'progress', line }),
    });
    const progress = (line: string) => report({ type: 'progress', line });
    if (!values['no-crds'] || values['with-capi']) {
      await installClusterApiCrds(controlPlane.kubeconfigPath, { progress });
    }
    if (values['with-capi']) {
      const controllers = [localProviderController(stateDir, controlPlane.kubeconfigPath, values['local-clusters-dir'])];
      clusterApi = await ClusterApiRuntime.start({ stateDir, kubeconfig: controlPlane.kubeconfigPath, progress, controllers });
    } else {
      await removeLeftoverWebhooks(controlPlane.kubeconfigPath);
    }
  } catch (error) {
    report({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    await clusterApi?.stop();
    await controlPlane?.stop();
    return 1;
  }
  ready = true;
  report({ type: 'ready', kubeconfig: controlPlane.kubeconfigPath, server: controlPlane.server, pid: process.pid });
  if (process.connected) process.disconnect();

  void controlPlane.failure.then((failure) => {
    log(`${failure.component} exited on its own (code ${failure.exit.code}, signal ${failure.exit.signal}); see ${failure.logFile}`);
    shutdown(`${failure.component} failed`, 1);
  });
  return stopped;
}

/** A previous start with `--with-capi` may have left webhooks of managers that do not run now. */
async function removeLeftoverWebhooks(kubeconfig: string): Promise<void> {
  const client = await adminClient(kubeconfig);
  try {
    const removed = await removeWebhookConfigurations(client);
    if (removed > 0) log(`removed ${removed} webhook configurations of Cluster API managers that no longer run`);
  } finally {
    client.close();
  }
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
