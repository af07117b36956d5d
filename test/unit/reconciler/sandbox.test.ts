import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, SANDBOX_UID, SandboxUnavailableError } from '../../../src/reconciler/sandbox.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOOK_AROUND = `
const fs = require('fs');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const tryRead = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return e.code; } };
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } };
process.stdout.write(JSON.stringify({
  uid: process.getuid(),
  capEff: /CapEff:\\s*(\\w+)/.exec(status)[1],
  noNewPrivs: /NoNewPrivs:\\s*(\\d)/.exec(status)[1],
  pids: fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).length,
  interfaces: Object.keys(require('os').networkInterfaces()),
  root: fs.readdirSync('/').sort(),
  secret: tryRead(${JSON.stringify(path.join(dir, 'secret'))}),
  shownFile: tryRead(${JSON.stringify(path.join(dir, 'shown', 'file'))}),
  writeShown: tryWrite(${JSON.stringify(path.join(dir, 'shown', 'new'))}),
  env: Object.keys(process.env).sort(),
}));`;

describe('Sandbox', () => {
  it('runs a program as another uid, without capabilities, in its own PID and network namespaces, seeing only what it is shown', async () => {
    writeFileSync(path.join(dir, 'secret'), 'kubeconfig');
    const shown = path.join(dir, 'shown');
    rmSync(shown, { recursive: true, force: true });
    mkdirSync(shown);
    const sandbox = await Sandbox.probe();
    expect(sandbox.kind).toBe(process.getuid?.() === 0 ? 'bubblewrap-root' : 'bubblewrap-userns');
    await sandbox.giveReadable(dir);
    writeFileSync(path.join(dir, 'shown', 'file'), 'visible');
    const r = await sandbox.run({
      argv: [process.execPath, '-e', LOOK_AROUND],
      cwd: '/tmp',
      readOnly: [path.join(dir, 'shown')],
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp' },
      limits: { addressSpaceMb: 3072, cpuSeconds: 30, fileSizeMb: 1 },
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({ uid: SANDBOX_UID, capEff: '0000000000000000', noNewPrivs: '1', pids: 2, interfaces: ['lo'] });
    // The system folders and the shown path; nothing of /root, /home, /var, /run or /work (kubeconfigs, tokens).
    expect(seen.root).toEqual(expect.arrayContaining(['dev', 'etc', 'proc', 'tmp', 'usr']));
    for (const hidden of ['root', 'home', 'var', 'run', 'work', 'opt']) expect(seen.root).not.toContain(hidden);
    expect(seen.secret).toBe('ENOENT');
    expect(seen.shownFile).toBe('visible');
    expect(seen.writeShown).toBe('EROFS');
    expect(seen.env).toEqual(['HOME', 'PATH', 'PWD']);
  });

  it('says why when bubblewrap is missing', async () => {
    await expect(Sandbox.probe({ bwrap: path.join(dir, 'no-bwrap') })).rejects.toThrow(SandboxUnavailableError);
    await expect(Sandbox.probe({ bwrap: path.join(dir, 'no-bwrap') })).rejects.toThrow(/bubblewrap \(bwrap\) is not installed/);
  });
});
