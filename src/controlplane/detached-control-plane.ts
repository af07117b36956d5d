/**
 * Starts a control plane that outlives the calling command: a detached supervisor process
 * (supervisor-main) owns it, and this resolves once the supervisor reports it ready.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlaneError } from './errors.js';
import { seedPki, type PkiSeed } from './pki.js';
import { stateFiles } from './state-file.js';
import type { SupervisorMessage } from './supervisor-main.js';
import type { ProgressSink } from './upstream-assets.js';

/** Options of startDetachedControlPlane. */
export interface DetachedStartOptions {
  stateDir: string;
  /** Install the Cluster API and provider CRDs. @default true */
  crds?: boolean;
  /** Also run the Cluster API managers (and install the CRDs). @default false */
  withCapi?: boolean;
  /** Folder with the three programs. @default what tools/build.sh prints */
  binDir?: string;
  /** @default no progress output */
  progress?: ProgressSink;
  /** Name of the cluster, context and user in the admin kubeconfig. @default 'clusterops-local' */
  clusterName?: string;
  /** The API server's fixed port. @default a free one (the previous one when still free) */
  apiserverPort?: number;
  /** With `withCapi`: where the local provider keeps its workload clusters. @default `<stateDir>/local-clusters` */
  localClustersDir?: string;
  /** Authorities and service-account keys to use instead of generated ones (see seedPki). @default none */
  pkiSeed?: PkiSeed;
}

/** Where the started control plane is. */
export interface DetachedControlPlane {
  kubeconfig: string;
  server: string;
  /** Pid of the supervisor that owns the components. */
  supervisorPid: number;
}

/** The supervisor's entry file next to this module (`.ts` when running from sources). */
function supervisorEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./supervisor-main${ext}`, import.meta.url));
}

/** Spawns the supervisor, relays its progress lines, and resolves when the control plane is ready. */
export async function startDetachedControlPlane(options: DetachedStartOptions): Promise<DetachedControlPlane> {
  const files = stateFiles(options.stateDir);
  await mkdir(files.logs, { recursive: true, mode: 0o700 });
  const progress = options.progress ?? (() => undefined);
  const args = [...process.execArgv, supervisorEntry(), '--state-dir', files.dir];
  if (options.crds === false) args.push('--no-crds');
  if (options.withCapi) args.push('--with-capi');
  if (options.binDir) args.push('--bin-dir', options.binDir);
  if (options.clusterName) args.push('--cluster-name', options.clusterName);
  if (options.apiserverPort !== undefined) args.push('--apiserver-port', String(options.apiserverPort));
  if (options.localClustersDir) args.push('--local-clusters-dir', resolve(options.localClustersDir));
  if (options.pkiSeed) await seedPki(files.dir, options.pkiSeed);
  const logPath = join(files.logs, 'supervisor.log');
  const log = openSync(logPath, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'] });
  } finally {
    closeSync(log);
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      if (child.connected) child.disconnect();
      child.unref();
    };
    child.on('message', (message: SupervisorMessage) => {
      if (message.type === 'progress') progress(message.line);
      if (message.type === 'error') settle(() => reject(new ControlPlaneError(message.message)));
      if (message.type === 'ready') {
        settle(() => resolve({ kubeconfig: message.kubeconfig, server: message.server, supervisorPid: message.pid }));
      }
    });
    child.on('error', (error) => settle(() => reject(new ControlPlaneError(`cannot start the supervisor: ${error.message}`))));
    child.on('exit', (code, signal) => {
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      settle(() => reject(new ControlPlaneError(`the control plane supervisor ${why} before it was ready; see ${logPath}`)));
    });
  });
}
