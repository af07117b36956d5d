/**
 * Who may see the dashboard: a bearer token from a file or a Secret (compared in constant time), or
 * a Kubernetes user's own token (TokenReview, then a SubjectAccessReview that the user may list
 * WorkloadClusters). A browser logs in once and holds a random session id in an HttpOnly,
 * SameSite=Strict cookie (EventSource cannot send headers); API clients send `Authorization: Bearer`.
 * Nothing is anonymous, except loopback requests when `anonymousLoopback` is set (`clusterops dev`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { readFile } from 'node:fs/promises';
import type { KubeApi } from '../kube/client.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'clusterops_dashboard';
/** How long a login lasts. */
const SESSION_MS = 12 * 3600_000;
/** Most sessions held; the oldest go first. */
const MAX_SESSIONS = 10_000;
/** How long a token read from a Secret is used before it is read again (so a rotation takes effect). */
const SECRET_TTL_MS = 30_000;
/** Longest token considered; longer ones are refused unread. */
const MAX_TOKEN_CHARS = 8192;

/** Where accepted tokens come from. */
export interface DashboardAuthOptions {
  /** A file whose content (one trailing newline removed) is the token. */
  tokenFile?: string;
  /** A Secret whose key `token` is the token. */
  tokenSecret?: { namespace: string; name: string };
  /** Also accept a Kubernetes user's token that the API server authenticates and lets list WorkloadClusters. @default false */
  tokenReview?: boolean;
  /** Let requests from loopback addresses in without a token (`clusterops dev` on its own machine). @default false */
  anonymousLoopback?: boolean;
  /** The management cluster, for the Secret and the reviews. */
  api: KubeApi;
  /** Told every token value read, so that it is redacted wherever it might appear. */
  onSecret?: (value: string) => void;
}

/** Whether a request may see the dashboard, and as whom (for logs: never the token). */
export type Verdict = { ok: true; who: string } | { ok: false };

/** The sources, as one line for the start-up log. */
export function describeSources(o: Pick<DashboardAuthOptions, 'tokenFile' | 'tokenSecret' | 'tokenReview' | 'anonymousLoopback'>): string[] {
  return [
    ...(o.tokenFile ? [`token file ${o.tokenFile}`] : []),
    ...(o.tokenSecret ? [`Secret ${o.tokenSecret.namespace}/${o.tokenSecret.name} (key token)`] : []),
    ...(o.tokenReview ? ['Kubernetes TokenReview'] : []),
    ...(o.anonymousLoopback ? ['anonymous on loopback'] : []),
  ];
}

/** Parses `--dashboard-token-secret NAMESPACE/NAME`. */
export function parseSecretRef(text: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not NAMESPACE/NAME of a Secret`);
  return { namespace: m[1], name: m[3] };
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time equality of two tokens (hashed first, so their lengths leak nothing either). */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
}

/** Reads the token of a token file: one trailing newline removed, empty refused. */
export async function readTokenFile(file: string): Promise<string> {
  const content = await readFile(file, 'utf8').catch(() => {
    throw new Error(`dashboard token file ${file} cannot be read`);
  });
  const token = content.replace(/\r?\n$/, '');
  if (token.trim() === '') throw new Error(`dashboard token file ${file} is empty`);
  return token;
}

/** Whether the request came over a loopback address and names a loopback host (no DNS rebinding). */
export function isLoopback(req: http.IncomingMessage): boolean {
  const remote = req.socket.remoteAddress ?? '';
  const fromLoopback = remote === '::1' || /^(::ffff:)?127\./.test(remote);
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return fromLoopback && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

/** The value of one cookie of a request. */
export function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** See the module comment. */
export class DashboardAuth {
  private readonly sessions = new Map<string, { who: string; expires: number }>();
  private secretToken: { value?: string; readAt: number } = { readAt: 0 };

  private constructor(
    private readonly options: DashboardAuthOptions,
    private readonly fileToken: string | undefined,
  ) {}

  /** Reads the token file (a missing or empty one is an error now, not at the first login). */
  static async create(options: DashboardAuthOptions): Promise<DashboardAuth> {
    const fileToken = options.tokenFile ? await readTokenFile(options.tokenFile) : undefined;
    if (fileToken) options.onSecret?.(fileToken);
    return new DashboardAuth(options, fileToken);
  }

  /** Whether any way in is configured; without one the dashboard stays off. */
  static configured(o: Pick<DashboardAuthOptions, 'tokenFile' | 'tokenSecret' | 'tokenReview' | 'anonymousLoopback'>): boolean {
    return !!(o.tokenFile || o.tokenSecret || o.tokenReview || o.anonymousLoopback);
  }

  /** Whether `req` may see the dashboard: loopback (when allowed), a session cookie, or a bearer token. */
  async authenticate(req: http.IncomingMessage): Promise<Verdict> {
    if (this.options.anonymousLoopback && isLoopback(req)) return { ok: true, who: 'anonymous (loopback)' };
    const session = cookie(req, SESSION_COOKIE);
    if (session) {
      const found = this.sessions.get(session);
      if (found && found.expires > Date.now()) return { ok: true, who: found.who };
      if (found) this.sessions.delete(session);
    }
    const header = req.headers.authorization;
    const bearer = header && /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    return bearer ? this.check(bearer) : { ok: false };
  }

  /** Checks a token typed into the login page; on success, the new session id for the cookie. */
  async login(token: string): Promise<{ session: string; who: string } | undefined> {
    const verdict = await this.check(token);
    if (!verdict.ok) return undefined;
    const session = randomBytes(32).toString('base64url');
    this.sessions.set(session, { who: verdict.who, expires: Date.now() + SESSION_MS });
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { session, who: verdict.who };
  }

  /** Ends a session (logout). */
  logout(req: http.IncomingMessage): void {
    const session = cookie(req, SESSION_COOKIE);
    if (session) this.sessions.delete(session);
  }

  /** Whether a token is one of the accepted ones, and whose. */
  async check(token: string): Promise<Verdict> {
    const given = token.trim();
    if (given === '' || given.length > MAX_TOKEN_CHARS) return { ok: false };
    if (this.fileToken !== undefined && sameToken(given, this.fileToken)) return { ok: true, who: 'dashboard token (file)' };
    if (this.options.tokenSecret) {
      const expected = await this.tokenFromSecret();
      if (expected !== undefined && sameToken(given, expected)) return { ok: true, who: 'dashboard token (Secret)' };
    }
    if (this.options.tokenReview) return this.review(given);
    return { ok: false };
  }

  private async tokenFromSecret(): Promise<string | undefined> {
    if (Date.now() - this.secretToken.readAt < SECRET_TTL_MS) return this.secretToken.value;
    const { namespace, name } = this.options.tokenSecret!;
    let value: string | undefined;
    try {
      const { body } = await this.options.api.request<{ data?: Record<string, string> }>({
        verb: 'get',
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
      });
      const raw = body.data?.token;
      value = raw ? Buffer.from(raw, 'base64').toString('utf8').replace(/\r?\n$/, '') : undefined;
    } catch {
      value = undefined;
    }
    if (value) this.options.onSecret?.(value);
    this.secretToken = { value: value || undefined, readAt: Date.now() };
    return this.secretToken.value;
  }

  /** A Kubernetes user's token: authenticated by the API server, and allowed to list WorkloadClusters. */
  private async review(token: string): Promise<Verdict> {
    try {
      const { body } = await this.options.api.request<{ status?: { authenticated?: boolean; user?: { username?: string; groups?: string[]; uid?: string } } }>({
        verb: 'create',
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const user = body.status?.user;
      if (!body.status?.authenticated || !user?.username) return { ok: false };
      const { body: access } = await this.options.api.request<{ status?: { allowed?: boolean } }>({
        verb: 'create',
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: user.username, groups: user.groups, uid: user.uid, resourceAttributes: { group: 'clusterops.io', resource: 'workloadclusters', verb: 'list' } },
        },
      });
      return access.status?.allowed ? { ok: true, who: user.username } : { ok: false };
    } catch {
      return { ok: false };
    }
  }
}
