import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/reconciler/logger.js';
import { humanDestination, humanLine } from '../../../src/reconciler/log-format.js';
import { Redactor } from '../../../src/reconciler/redact.js';

describe('human log lines', () => {
  it('prints time, level, message and the other fields as key=value', () => {
    const line = humanLine(JSON.stringify({ level: 40, time: Date.parse('2026-12-02T15:04:05Z'), pid: 7, name: 'clusterops', msg: 'could not write status', cluster: 'web', err: 'conflict: x' }));
    expect(line).toBe('15:04:05 WARN  could not write status cluster=web err="conflict: x"');
  });

  it('passes a line that is not JSON through', () => {
    expect(humanLine('not json')).toBe('not json');
  });

  it('shows what the JSON shows: redacted', async () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-value-123');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const logger = createLogger({ redactor, destination: humanDestination(out) as never, level: 'info' });
    logger.info({ token: 'abc', url: 'https://x/?s3cr3t-value-123' }, 'fetched');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text).toMatch(/^\d\d:\d\d:\d\d INFO  fetched token=\[redacted\] url=https:\/\/x\/\?\S*\n$/);
    expect(text).not.toContain('s3cr3t-value-123');
  });
});
