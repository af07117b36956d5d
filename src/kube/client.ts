import type https from 'node:https';
import type { KubeconfigSource } from './kubeconfig.js';
import { Http1Transport, Http2Transport, type RawAnswer, type Transport } from './_transport.js';

/** What a request does, for the request counter (kubectl's verb names; dry-run writes are counted apart). */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'update' | 'delete';

/** Verbs that change the cluster unless sent as a dry-run. */
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'apply', 'patch', 'update', 'delete']);

/** One request to the API server. */
export interface KubeRequest {
  verb: Verb;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/namespaces/default/configmaps`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON, exactly as given. */
  body?: unknown;
  /** @default `application/json` when there is a body */
  contentType?: string;
  /** @default `application/json` */
  accept?: string;
  /**
   * How to read a successful answer: parsed as JSON, or as the raw text (`/readyz`, `/metrics`).
   * @default 'json'
   */
  responseType?: 'json' | 'text';
}

/** The answer to a successful request. */
export interface KubeResponse<T> {
  status: number;
  body: T;
}

/** The interface every verb of the apply engine talks through, so tests can wrap it to inject faults. */
export interface KubeApi {
  request<T = unknown>(req: KubeRequest): Promise<KubeResponse<T>>;
  /** Requests made so far, by verb. */
  readonly counter: RequestCounter;
}

/** Counts the HTTP requests sent, by verb; dry-run writes and retries are counted separately. */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  /** Records one request sent. */
  record(verb: Verb, dryRun: boolean): void {
    const key = dryRun ? `${verb}(dry-run)` : verb;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Records one retry (a request sent again after a throttled, failed or unanswered attempt). */
  recordRetry(): void {
    this.counts.set('retry', (this.counts.get('retry') ?? 0) + 1);
  }

  /** Count for a key: a verb, `<verb>(dry-run)` or `retry`. */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Requests that changed (or tried to change) the cluster. */
  get writes(): number {
    let n = 0;
    for (const verb of WRITE_VERBS) n += this.get(verb);
    return n;
  }

  /** Every request sent, retries included. */
  get total(): number {
    let n = 0;
    for (const [key, value] of this.counts) if (key !== 'retry') n += value;
    return n;
  }

  /** A copy of the counts, for reports. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Starts counting from zero. */
  reset(): void {
    this.counts.clear();
  }
}

/** A `metav1.StatusCause`: one field-level reason of a failure. */
export interface StatusCause {
  /** The cause's type, e.g. FieldManagerConflict, FieldValueInvalid (JSON key `reason`). */
  reason?: string;
  message?: string;
  field?: string;
}

/** The API server refused a request; carries the parts of its Status answer, never the request body. */
export class KubeError extends Error {
  override name = 'KubeError';

  constructor(
    readonly status: number,
    /** `reason` of the Status (NotFound, Conflict, Invalid, AlreadyExists, ...), or the HTTP status text. */
    readonly reason: string,
    /** `message` of the Status. */
    readonly statusMessage: string,
    readonly method: string,
    readonly path: string,
    readonly causes: StatusCause[] = [],
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${statusMessage}`);
  }
}

/** The API server could not be reached (or did not answer in time) after every retry. */
export class KubeConnectionError extends Error {
  override name = 'KubeConnectionError';

  constructor(
    readonly method: string,
    readonly path: string,
    /** Node's error code, e.g. ECONNREFUSED, or `ETIMEDOUT` for an unanswered request. */
    readonly code: string,
    attempts: number,
  ) {
    super(`${method} ${path}: cannot reach the API server (${code}) after ${attempts} attempt(s)`);
  }
}

/** Tuning of a KubeClient. */
export interface KubeClientOptions {
  /**
   * Attempts after the first one for throttled (429), unavailable (5xx) or unanswered requests.
   * @default 5
   */
  maxRetries?: number;
  /**
   * First backoff delay; doubled on each retry, with jitter.
   * @default 200
   */
  baseDelayMs?: number;
  /**
   * Longest backoff delay, and the longest Retry-After honoured.
   * @default 5000
   */
  maxDelayMs?: number;
  /**
   * Time allowed for one attempt (connect, send, answer).
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Sockets kept open to the API server when HTTP/1.1 is used.
   * @default 32
   */
  maxSockets?: number;
  /**
   * Use HTTP/2 (one TLS connection, requests multiplexed) for https servers, as kubectl does.
   * @default true
   */
  http2?: boolean;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_ERROR',
]);

interface Auth {
  headers: Record<string, string>;
}

/**
 * A small JSON client for the Kubernetes API on node's own HTTP stack (global fetch ignores client
 * certificates): certificates and tokens from a kubeconfig, HTTP/2 over one TLS connection (HTTP/1.1
 * keep-alive pool for plain-HTTP servers), bounded retries with exponential backoff and jitter that
 * honour Retry-After, typed errors and a request counter. Bodies are sent exactly as given.
 */
export class KubeClient implements KubeApi {
  readonly counter = new RequestCounter();
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  private constructor(
    private readonly kc: KubeconfigSource,
    private readonly server: URL,
    private readonly transport: Transport,
    private auth: Auth,
    options: KubeClientOptions,
  ) {
    this.maxRetries = options.maxRetries ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** A client for the current context of a kubeconfig. */
  static async fromKubeConfig(kc: KubeconfigSource, options: KubeClientOptions = {}): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new Error(`kubeconfig context ${JSON.stringify(kc.getCurrentContext())} has no cluster`);
    const server = new URL(cluster.server);
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const tlsOptions = {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      servername: tls.servername ?? cluster.tlsServerName,
      rejectUnauthorized: cluster.skipTLSVerify ? false : tls.rejectUnauthorized,
    };
    for (const key of Object.keys(tlsOptions) as Array<keyof typeof tlsOptions>) if (tlsOptions[key] === undefined) delete tlsOptions[key];
    const transport =
      server.protocol === 'https:' && (options.http2 ?? true)
        ? new Http2Transport(server, tlsOptions)
        : new Http1Transport(server, tlsOptions, options.maxSockets ?? 32);
    return new KubeClient(kc, server, transport, authFrom(tls), options);
  }

  /** Base URL of the API server (no credentials in it). */
  get serverUrl(): string {
    return this.server.origin + this.server.pathname.replace(/\/$/, '');
  }

  /** Sends a request, retrying throttled, unavailable and unanswered attempts; throws KubeError or KubeConnectionError. */
  async request<T = unknown>(req: KubeRequest): Promise<KubeResponse<T>> {
    const dryRun = req.query?.dryRun !== undefined;
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.counter.recordRetry();
      this.counter.record(req.verb, dryRun);
      let answer: RawAnswer;
      try {
        answer = await this.send(req);
      } catch (error) {
        const code = errorCode(error);
        if (!RETRY_CODES.has(code)) throw new KubeConnectionError(req.method, req.path, code, attempt + 1);
        if (attempt >= this.maxRetries) throw new KubeConnectionError(req.method, req.path, code, attempt + 1);
        await sleep(this.backoff(attempt));
        continue;
      }
      if (answer.status === 401 && !refreshedAuth) {
        refreshedAuth = true;
        await this.refreshAuth();
        continue;
      }
      if (RETRY_STATUS.has(answer.status) && attempt < this.maxRetries) {
        const retryAfter = Number(answer.retryAfter);
        const delay =
          answer.retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0
            ? Math.min(retryAfter * 1000, this.maxDelayMs)
            : this.backoff(attempt);
        await sleep(delay);
        continue;
      }
      if (answer.status >= 400) throw statusError(req, answer);
      if (req.responseType === 'text') return { status: answer.status, body: answer.text as T };
      const body = answer.text.length > 0 ? (JSON.parse(answer.text) as T) : (undefined as T);
      return { status: answer.status, body };
    }
  }

  /**
   * Sends one request whose answer streams (a watch: `?watch=1`), with no retry: each chunk of a 2xx
   * body goes to `onData`; resolves when the server ends the stream or `signal` aborts it; throws
   * KubeError for a refusal, KubeConnectionError when the server cannot be reached or falls silent
   * for `idleTimeoutMs`.
   */
  async stream(req: KubeRequest, onData: (chunk: Buffer) => void, signal: AbortSignal, idleTimeoutMs = 120_000): Promise<void> {
    this.counter.record(req.verb, false);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) query.set(key, value);
    const qs = query.toString();
    const base = this.server.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = { ...this.auth.headers, Accept: req.accept ?? 'application/json', 'User-Agent': 'clusterops' };
    let answer: RawAnswer;
    try {
      answer = await this.transport.stream({ method: req.method, path: base + req.path + (qs ? `?${qs}` : ''), headers, timeoutMs: idleTimeoutMs }, onData, signal);
    } catch (error) {
      throw new KubeConnectionError(req.method, req.path, errorCode(error), 1);
    }
    if (answer.status === 401) await this.refreshAuth();
    if (answer.status >= 400) throw statusError(req, answer);
  }

  /** Closes the connections. */
  close(): void {
    this.transport.close();
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async refreshAuth(): Promise<void> {
    const tls: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(tls);
    this.auth = authFrom(tls);
  }

  private send(req: KubeRequest): Promise<RawAnswer> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) query.set(key, value);
    const qs = query.toString();
    const base = this.server.pathname.replace(/\/$/, '');
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = {
      ...this.auth.headers,
      Accept: req.accept ?? 'application/json',
      'User-Agent': 'clusterops',
    };
    if (payload) headers['Content-Type'] = req.contentType ?? 'application/json';
    return this.transport.send({ method: req.method, path: base + req.path + (qs ? `?${qs}` : ''), headers, payload, timeoutMs: this.timeoutMs });
  }
}

function authFrom(tls: https.RequestOptions): Auth {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(tls.headers ?? {})) {
    if (typeof value === 'string' || typeof value === 'number') headers[key] = String(value);
  }
  if (typeof tls.auth === 'string' && tls.auth.length > 0) {
    headers.Authorization = `Basic ${Buffer.from(tls.auth).toString('base64')}`;
  }
  return { headers };
}

function statusError(req: KubeRequest, answer: RawAnswer): KubeError {
  let reason = answer.statusText || `HTTP ${answer.status}`;
  let message = '';
  let causes: StatusCause[] = [];
  try {
    const status = JSON.parse(answer.text) as {
      kind?: string;
      reason?: string;
      message?: string;
      details?: { causes?: StatusCause[] };
    };
    if (status && status.kind === 'Status') {
      reason = status.reason || reason;
      message = status.message ?? '';
      causes = status.details?.causes ?? [];
    }
  } catch {
    // Not a Status body (a proxy's answer, say): the HTTP status text is all we report.
  }
  return new KubeError(answer.status, reason, message || reason, req.method, req.path, causes);
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (error as { message?: unknown }).message;
    if (message === 'socket hang up') return 'ECONNRESET';
  }
  return 'EUNKNOWN';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
