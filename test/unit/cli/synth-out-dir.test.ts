import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthCommand } from '../../../src/cli/commands/synth.js';
import { UsageError } from '../../../src/cli/exit-codes.js';
import { runCommand } from '../../_run-command.js';

const out = mkdtempSync(path.join(tmpdir(), 'clusterops-synth-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('synth --out-dir', () => {
  it('writes one folder per stage; -o still works, with a deprecation warning', async () => {
    const run = await runCommand(synthCommand, ['--clusters', 'clusters', '--out-dir', path.join(out, 'a')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(path.join(out, 'a', 'dev'))).toBe(true);
    const old = await runCommand(synthCommand, ['--clusters', 'clusters', '-o', path.join(out, 'b')]);
    expect(old.code).toBe(0);
    expect(old.stderr).toBe('warning: synth -o/--output is deprecated and will go in a later release; use --out-dir\n');
    expect(existsSync(path.join(out, 'b', 'dev'))).toBe(true);
  });

  it('refuses both names at once', async () => {
    await expect(runCommand(synthCommand, ['--clusters', 'clusters', '-o', out, '--out-dir', out])).rejects.toThrow(UsageError);
  });
});
