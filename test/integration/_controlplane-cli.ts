// Runs `clusterops controlplane <args>` from the TypeScript sources in a separate process (_cli-child.ts).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repositoryRoot } from '../../src/controlplane/upstream-assets.js';

/** Runs `clusterops controlplane <args>` and resolves with its exit code and output. */
export function controlPlaneCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = repositoryRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(root, 'test', 'integration', '_ts-register.mjs'), join(root, 'test', 'integration', '_cli-child.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
