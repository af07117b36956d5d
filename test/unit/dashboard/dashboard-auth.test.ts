import type http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookie, DashboardAuth, isLoopback, parseSecretRef, readTokenFile, sameToken, SESSION_COOKIE } from '../../../src/dashboard/dashboard-auth.js';
import type { KubeApi } from '../../../src/kube/client.js';

/** A request as the server sees it: its peer address and headers. */
const request = (remote: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress: remote }, headers }) as unknown as http.IncomingMessage;
/** No API server: these tests use the token file and loopback only, which never call it. */
const noApi = { request: () => Promise.reject(new Error('not called')) } as unknown as KubeApi;

function tokenFile(content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'clusterops-token-')), 'token');
  writeFileSync(file, content);
  return file;
}

describe('dashboard login', () => {
  it('compares tokens exactly', () => {
    expect(sameToken('abc-123', 'abc-123')).toBe(true);
    expect(sameToken('abc-12', 'abc-123')).toBe(false);
    expect(sameToken('abc-1234', 'abc-123')).toBe(false);
  });

  it('reads a token file without its trailing newline, and refuses an empty or missing one', async () => {
    expect(await readTokenFile(tokenFile('s3cret-token\n'))).toBe('s3cret-token');
    await expect(readTokenFile(tokenFile('\n'))).rejects.toThrow(/is empty/);
    await expect(readTokenFile('/nonexistent/token')).rejects.toThrow(/cannot be read/);
  });

  it('parses NAMESPACE/NAME of a Secret', () => {
    expect(parseSecretRef('clusterops-system/dashboard')).toEqual({ namespace: 'clusterops-system', name: 'dashboard' });
    expect(() => parseSecretRef('dashboard')).toThrow(/NAMESPACE\/NAME/);
  });

  it('counts as loopback only a loopback peer that asked for a loopback host (no DNS rebinding)', () => {
    expect(isLoopback(request('127.0.0.1', { host: '127.0.0.1:8080' }))).toBe(true);
    expect(isLoopback(request('::ffff:127.0.0.1', { host: 'localhost:8080' }))).toBe(true);
    expect(isLoopback(request('::1', { host: '[::1]:8080' }))).toBe(true);
    expect(isLoopback(request('127.0.0.1', { host: 'evil.example.com' }))).toBe(false);
    expect(isLoopback(request('10.0.0.7', { host: '127.0.0.1:8080' }))).toBe(false);
  });

  it('reads a cookie among others', () => {
    expect(cookie(request('::1', { cookie: `a=1; ${SESSION_COOKIE}=xyz; b=2` }), SESSION_COOKIE)).toBe('xyz');
    expect(cookie(request('::1', {}), SESSION_COOKIE)).toBeUndefined();
  });

  it('lets in a bearer token or a session from a login, nothing else; anonymous only on loopback when told', async () => {
    const auth = await DashboardAuth.create({ api: noApi, tokenFile: tokenFile('the-file-token\n') });
    expect((await auth.authenticate(request('10.1.2.3'))).ok).toBe(false);
    expect((await auth.authenticate(request('127.0.0.1', { host: 'localhost' }))).ok).toBe(false);
    expect((await auth.authenticate(request('10.1.2.3', { authorization: 'Bearer the-file-token' }))).ok).toBe(true);
    expect((await auth.authenticate(request('10.1.2.3', { authorization: 'Bearer the-file-tokeN' }))).ok).toBe(false);
    expect(await auth.login('wrong')).toBeUndefined();
    const { session } = (await auth.login('the-file-token'))!;
    expect((await auth.authenticate(request('10.1.2.3', { cookie: `${SESSION_COOKIE}=${session}` }))).ok).toBe(true);
    auth.logout(request('10.1.2.3', { cookie: `${SESSION_COOKIE}=${session}` }));
    expect((await auth.authenticate(request('10.1.2.3', { cookie: `${SESSION_COOKIE}=${session}` }))).ok).toBe(false);

    const dev = await DashboardAuth.create({ api: noApi, anonymousLoopback: true });
    expect(await dev.authenticate(request('127.0.0.1', { host: '127.0.0.1:8080' }))).toEqual({ ok: true, who: 'anonymous (loopback)' });
    expect((await dev.authenticate(request('192.168.1.5', { host: '192.168.1.2:8080' }))).ok).toBe(false);
  });

  it('is off unless a way in is configured', () => {
    expect(DashboardAuth.configured({})).toBe(false);
    expect(DashboardAuth.configured({ tokenFile: '/etc/token' })).toBe(true);
    expect(DashboardAuth.configured({ anonymousLoopback: true })).toBe(true);
  });
});
