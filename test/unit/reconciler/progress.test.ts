import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withProgress } from '../../../src/reconciler/progress.js';

/** A pino logger whose lines go to `lines`, calling `onLine` on each. */
function recording(onLine: (msg: string) => void = () => {}) {
  const lines: Array<{ msg: string; step: string; seconds?: number }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      const line = JSON.parse(String(chunk));
      lines.push(line);
      onLine(line.msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('withProgress', () => {
  it('says when a long step starts, that it still runs, and when it is done', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // The step ends only once a "still running" line was written: no fixed wait.
    const { logger, lines } = recording((msg) => {
      if (msg.includes('still running')) release();
    });
    const result = await withProgress(logger, 'compiling', () => released.then(() => 42), 20);
    expect(result).toBe(42);
    expect(lines[0].msg).toBe('compiling: started');
    expect(lines.some((l) => /^compiling: still running after \d+ s$/.test(l.msg) && typeof l.seconds === 'number')).toBe(true);
    expect(lines.at(-1)!.msg).toMatch(/^compiling: done in [\d.]+ s$/);
  });

  it('says when it fails, and passes the error on', async () => {
    const { logger, lines } = recording();
    await expect(withProgress(logger, 'npm ci', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lines.map((l) => l.msg)).toEqual(['npm ci: started', expect.stringMatching(/^npm ci: failed after [\d.]+ s$/)]);
  });
});
