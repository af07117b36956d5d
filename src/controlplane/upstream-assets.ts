/**
 * The upstream programs and CRD files a local control plane needs, obtained through the
 * repository's own scripts (`tools/build.sh`, `tools/crds.sh`), which build or download them once
 * and cache them by version.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlaneError } from './errors.js';

/** Receives one line of progress text (the scripts' stderr); defaults to writing it to stderr. */
export type ProgressSink = (line: string) => void;

/** Writes progress lines to the process's stderr. */
export const stderrProgress: ProgressSink = (line) => process.stderr.write(`${line}\n`);

/** Names of the programs in the binaries folder. */
export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;

/** Absolute paths of the three control-plane programs. */
export type BinaryPaths = Record<(typeof BINARIES)[number], string>;

/** The repository root: the nearest parent folder of this module that holds `tools/build.sh`. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'tools', 'build.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new ControlPlaneError('cannot find tools/build.sh above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Runs `tools/build.sh` (which honours KUBEBUILDER_ASSETS) and returns the paths of the programs. */
export async function controlPlaneBinaries(progress: ProgressSink = stderrProgress): Promise<BinaryPaths> {
  return programsIn(await runScript('build.sh', progress), BINARIES, 'KUBEBUILDER_ASSETS');
}

/** The paths the programs have in `dir`. */
export function binariesIn(dir: string): BinaryPaths {
  return Object.fromEntries(BINARIES.map((name) => [name, join(dir, name)])) as BinaryPaths;
}

/** Names of the Cluster API managers in the folder `tools/build-capi.sh` prints. */
export const CLUSTER_API_MANAGERS = ['capi-manager', 'capi-kubeadm-bootstrap-manager', 'capi-kubeadm-control-plane-manager'] as const;
/** One of CLUSTER_API_MANAGERS. */
export type ClusterApiManager = (typeof CLUSTER_API_MANAGERS)[number];

/** Runs `tools/build-capi.sh` (which honours CLUSTEROPS_CAPI_BIN) and returns the path of each manager. */
export async function clusterApiBinaries(progress: ProgressSink = stderrProgress): Promise<Record<ClusterApiManager, string>> {
  return programsIn(await runScript('build-capi.sh', progress), CLUSTER_API_MANAGERS, 'CLUSTEROPS_CAPI_BIN');
}

/** The paths of `names` in `dir`, each checked to be executable; `override` names the variable that can point elsewhere. */
async function programsIn<N extends string>(dir: string, names: readonly N[], override: string): Promise<Record<N, string>> {
  const paths = Object.fromEntries(names.map((name) => [name, join(dir, name)])) as Record<N, string>;
  for (const [name, path] of Object.entries<string>(paths)) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new ControlPlaneError(`${name} is missing from ${dir} (set ${override} to a folder with ${names.join(', ')})`);
    }
  }
  return paths;
}

/** Runs `tools/crds.sh` and returns the folder holding one subfolder of CRD YAML files per source. */
export async function clusterApiCrdDir(progress: ProgressSink = stderrProgress): Promise<string> {
  return runScript('crds.sh', progress);
}

/** Runs `bash tools/<script>`, forwarding its stderr line by line, and returns the last line of its stdout. */
function runScript(script: string, progress: ProgressSink): Promise<string> {
  const root = repositoryRoot();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(root, 'tools', script)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastError = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        lastError = line;
        progress(line);
      }
    });
    child.on('error', (error) => reject(new ControlPlaneError(`cannot run bash tools/${script}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (pending.trim() !== '') {
        lastError = pending;
        progress(pending);
      }
      const out = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && out !== '') return resolve(out);
      const why = signal ? `was stopped by ${signal}` : `failed with exit code ${code}`;
      reject(new ControlPlaneError(`tools/${script} ${why}${lastError ? `: ${lastError.replace(/^tools\/\S+: /, '')}` : ''}`));
    });
  });
}
