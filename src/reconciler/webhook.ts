import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How a git host signed a push notification, when it did. */
export type WebhookStyle = 'github' | 'gitlab';

/** The outcome of checking a webhook request: accepted, or refused with the reason (never the secret). */
export type WebhookVerdict = { ok: true; style: WebhookStyle } | { ok: false; reason: string };

/** GitHub: HMAC-SHA256 of the raw body, hex, with a `sha256=` prefix. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
/** GitLab: the shared secret itself, sent as a header. */
export const GITLAB_TOKEN_HEADER = 'x-gitlab-token';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Compares two byte strings in time that depends on neither content nor length. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/** The GitHub-style signature header value for a body, as a sender computes it (also used by tests). */
export function githubSignature(secret: string | Buffer, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks a push notification against the shared secret: GitHub's `X-Hub-Signature-256` (HMAC-SHA256
 * of the raw body) or GitLab's `X-Gitlab-Token`, each compared in constant time. A request with
 * neither header, or with a wrong one, is refused.
 */
export function verifyWebhook(secret: Buffer, headers: IncomingHttpHeaders, body: Buffer): WebhookVerdict {
  if (secret.length === 0) return { ok: false, reason: 'no webhook secret is configured' };
  const signature = header(headers, GITHUB_SIGNATURE_HEADER);
  if (signature !== undefined) {
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
    if (!match) return { ok: false, reason: `malformed ${GITHUB_SIGNATURE_HEADER} header` };
    const expected = createHmac('sha256', secret).update(body).digest();
    const given = Buffer.from(match[1], 'hex');
    return timingSafeEqual(expected, given) ? { ok: true, style: 'github' } : { ok: false, reason: 'signature does not match' };
  }
  const token = header(headers, GITLAB_TOKEN_HEADER);
  if (token !== undefined) {
    return sameBytes(Buffer.from(token), secret) ? { ok: true, style: 'gitlab' } : { ok: false, reason: 'token does not match' };
  }
  return { ok: false, reason: `missing ${GITHUB_SIGNATURE_HEADER} or ${GITLAB_TOKEN_HEADER} header` };
}
