import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { githubSignature, verifyWebhook } from '../../../src/reconciler/webhook.js';

const secret = Buffer.from('s3cret-shared-with-the-git-host');
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));

describe('verifyWebhook', () => {
  it('accepts a GitHub X-Hub-Signature-256 computed over the raw body', () => {
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(githubSignature(secret, body)).toBe(signature);
    expect(verifyWebhook(secret, { 'x-hub-signature-256': signature }, body)).toEqual({ ok: true, style: 'github' });
  });

  it('refuses a signature made with another secret', () => {
    const signature = githubSignature('another-secret', body);
    expect(verifyWebhook(secret, { 'x-hub-signature-256': signature }, body)).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('refuses a good signature over a body that was changed on the way', () => {
    const signature = githubSignature(secret, body);
    const tampered = Buffer.from(body.toString().replace('main', 'evil'));
    expect(verifyWebhook(secret, { 'x-hub-signature-256': signature }, tampered).ok).toBe(false);
  });

  it('refuses a malformed signature header (sha1, truncated, not hex)', () => {
    const good = githubSignature(secret, body);
    for (const value of ['sha1=' + good.slice(7), good.slice(0, 40), 'sha256=' + 'z'.repeat(64), '']) {
      const verdict = verifyWebhook(secret, { 'x-hub-signature-256': value }, body);
      expect(verdict.ok, value).toBe(false);
    }
  });

  it('refuses a request without any signature header', () => {
    const verdict = verifyWebhook(secret, { 'content-type': 'application/json' }, body);
    expect(verdict).toEqual({ ok: false, reason: 'missing x-hub-signature-256 or x-gitlab-token header' });
  });

  it('accepts GitLab X-Gitlab-Token equal to the secret, and refuses others', () => {
    expect(verifyWebhook(secret, { 'x-gitlab-token': secret.toString() }, body)).toEqual({ ok: true, style: 'gitlab' });
    expect(verifyWebhook(secret, { 'x-gitlab-token': 'wrong' }, body).ok).toBe(false);
    expect(verifyWebhook(secret, { 'x-gitlab-token': `${secret.toString()}x` }, body).ok).toBe(false);
    expect(verifyWebhook(secret, { 'x-gitlab-token': secret.toString().slice(0, -1) }, body).ok).toBe(false);
  });

  it('refuses everything when no secret is configured', () => {
    const empty = Buffer.alloc(0);
    expect(verifyWebhook(empty, { 'x-hub-signature-256': githubSignature(empty, body) }, body).ok).toBe(false);
    expect(verifyWebhook(empty, { 'x-gitlab-token': '' }, body).ok).toBe(false);
  });
});
