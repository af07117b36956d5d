import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REGISTER = fileURLToPath(new URL('../../integration/_ts-register.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./_cli-child.ts', import.meta.url));

/** Runs the CLI from sources with `stdout` as given; resolves with its exit code and stderr. */
function run(args: string[], stdout: 'pipe' | number, closeStdout = false): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', REGISTER, CHILD, ...args], { stdio: ['ignore', stdout, 'pipe'] });
  if (closeStdout) child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('output that cannot be written is one clear line and a failure, never a stack trace', () => {
  it('stdout on a full disk (/dev/full)', async () => {
    const r = await run(['validate', '--clusters', 'clusters'], openSync('/dev/full', 'w'));
    expect(r.stderr).toBe('error: cannot write to stdout: no space left on device (ENOSPC)\n');
    expect(r.code).toBe(1);
  });

  it('stdout a pipe whose reader has gone', async () => {
    const r = await run(['validate', '--clusters', 'clusters'], 'pipe', true);
    expect(r.stderr).toBe('error: cannot write to stdout: the reader closed the pipe (EPIPE)\n');
    expect(r.code).toBe(1);
  });
});
