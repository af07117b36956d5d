import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/reconciler/logger.js';
import { excerpt, REDACTED, Redactor } from '../../../src/reconciler/redact.js';

const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7BFUzMwhKZkRa5b9mG1w2T4ZbXJxYvNvC8F9pQz\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END RSA PRIVATE KEY-----';

describe('Redactor', () => {
  it('removes credential shapes: PEM blocks (whole or cut), kubeconfig fields, bearer tokens, URL passwords', () => {
    const r = new Redactor();
    const text = [
      `key: ${KEY}`,
      '-----BEGIN CERTIFICATE-----\nMIIBcutoffhere',
      '    client-key-data: TFMwdExTMUNSVWRKVGlCU1UwRWdVRkpKVmtGVVJTQkxSVmt0TFMwdExRbz0=',
      '    client-certificate-data: Y2VydGlmaWNhdGUtZGF0YQ==',
      '    token: eyJhbGciOiJSUzI1NiJ9.payload.sig',
      '{"token":"abcdefgh1234"}',
      'Authorization: Bearer sha256~abcdefghijklmnop',
      'fetching https://git:ghp_abcdefghijklmnop@github.com/acme/fleet.git',
    ].join('\n');
    const out = r.redact(text);
    for (const leaked of ['MIIEowIBAAKCAQEA', 'MIIBcutoffhere', 'TFMwdExTMUNS', 'Y2VydGlmaWNh', 'eyJhbGciOiJSUzI1NiJ9', 'abcdefgh1234', 'sha256~abcdefghijklmnop', 'ghp_abcdefghijklmnop']) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain(`token: ${REDACTED}`);
    expect(out).toContain(`https://${REDACTED}@github.com/acme/fleet.git`);
  });

  it('removes each literal secret it holds, also base64-encoded, JSON-escaped, or one line of a key file', () => {
    const r = new Redactor().add('hunter2-webhook-secret').add(Buffer.from(`${KEY}\n`));
    r.addUrlCredentials('https://ci-bot:p%40ss-word-42@git.example.com/fleet.git');
    r.addEnvironment({ AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG', HOME: '/root', PATH: '/usr/bin' });
    const text = [
      'secret hunter2-webhook-secret',
      `b64 ${Buffer.from('hunter2-webhook-secret').toString('base64')}`,
      `json ${JSON.stringify(KEY)}`,
      'half a key: MIIEowIBAAKCAQEAq7BFUzMwhKZkRa5b9mG1w2T4ZbXJxYvNvC8F9pQz',
      'pw p@ss-word-42 and the cloud key wJalrXUtnFEMI/K7MDENG',
      'home /root',
    ].join('\n');
    const out = r.redact(text);
    for (const leaked of ['hunter2', 'aHVudGVyMi', 'MIIEowIBAAKCAQEA', 'p@ss-word-42', 'wJalrXUtnFEMI']) expect(out).not.toContain(leaked);
    expect(out).toContain('home /root');
  });
});

describe('excerpt', () => {
  it('keeps the last lines, at most 30 and 2 KiB, redacted', () => {
    const r = new Redactor().add('topsecret-value');
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} topsecret-value ${'x'.repeat(50)}`);
    const out = excerpt(lines.join('\n'), r);
    expect(out).toMatch(/^\(last part of the output\)\n/);
    expect(out).toContain('line 99');
    expect(out).not.toContain('line 69 ');
    expect(out).not.toContain('topsecret');
    expect(Buffer.byteLength(out)).toBeLessThan(2048 + 64);
    expect(excerpt('one\ntwo\n', r)).toBe('one\ntwo');
  });
});

describe('createLogger', () => {
  it('writes no secret the redactor holds, nor credential shapes, wherever they appear in a record', () => {
    let written = '';
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    const redactor = new Redactor();
    const logger = createLogger({ destination, redactor });
    redactor.add('the-webhook-secret-123');
    logger.error({ err: 'synth failed: the-webhook-secret-123', detail: { stderr: `token: abcdefgh12345\n${KEY}` } }, 'revision rejected: Bearer abcdefghijklmnop');
    logger.flush();
    const record = JSON.parse(written.trim()) as Record<string, unknown>;
    expect(written).not.toContain('the-webhook-secret-123');
    expect(written).not.toContain('abcdefgh12345');
    expect(written).not.toContain('MIIEowIBAAKCAQEA');
    expect(written).not.toContain('abcdefghijklmnop');
    expect(record.msg).toBe(`revision rejected: Bearer ${REDACTED}`);
  });
});
