// How a KubeClient moves bytes: HTTP/2 over one TLS connection (as kubectl does), or HTTP/1.1 with a
// keep-alive pool (plain-HTTP servers, or when HTTP/2 is turned off).
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';

/** One request on the wire. */
export interface WireRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  payload?: Buffer;
  timeoutMs: number;
}

/** An answer as received. */
export interface RawAnswer {
  status: number;
  statusText: string;
  text: string;
  retryAfter?: string;
}

/** Sends requests to one server. */
export interface Transport {
  send(req: WireRequest): Promise<RawAnswer>;
  /**
   * Sends a request whose answer is a long stream (a watch): a 2xx body goes to `onData` as it
   * arrives and the promise resolves when the server ends it (`text` empty); another status's body is
   * collected into `text`. `signal` ends the stream early (the promise then resolves).
   */
  stream(req: WireRequest, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<RawAnswer>;
  close(): void;
}

/** TLS material from the kubeconfig. */
export interface TlsOptions {
  ca?: https.RequestOptions['ca'];
  cert?: https.RequestOptions['cert'];
  key?: https.RequestOptions['key'];
  pfx?: https.RequestOptions['pfx'];
  passphrase?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

function timeoutError(): Error {
  return Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
}

/** HTTP/1.1 with a keep-alive pool of at most `maxSockets` connections. */
export class Http1Transport implements Transport {
  private readonly agent: http.Agent;

  constructor(
    private readonly server: URL,
    tls: TlsOptions,
    maxSockets: number,
  ) {
    const options = { keepAlive: true, maxSockets, ...tls };
    this.agent = server.protocol === 'http:' ? new http.Agent(options) : new https.Agent(options);
  }

  send(req: WireRequest): Promise<RawAnswer> {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.payload) headers['Content-Length'] = req.payload.length;
    return new Promise<RawAnswer>((resolve, reject) => {
      const request = this.request(req, headers, undefined,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              text: Buffer.concat(chunks).toString('utf8'),
              retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            });
          });
        },
      );
      request.setTimeout(req.timeoutMs, () => request.destroy(timeoutError()));
      request.on('error', reject);
      request.end(req.payload);
    });
  }

  stream(req: WireRequest, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      const request = this.request(req, req.headers, signal,
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => (status < 300 ? onData(chunk) : chunks.push(chunk)));
          res.on('error', (error) => (signal.aborted ? resolve({ status, statusText: '', text: '' }) : reject(error)));
          res.on('end', () => resolve({ status, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      request.setTimeout(req.timeoutMs, () => request.destroy(timeoutError()));
      request.on('error', (error) => (signal.aborted ? resolve({ status: 0, statusText: 'aborted', text: '' }) : reject(error)));
      request.end();
    });
  }

  /** An HTTP/1.1 request of `req` to the server, on the pooled agent. */
  private request(
    req: WireRequest,
    headers: Record<string, string | number>,
    signal: AbortSignal | undefined,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const transport = this.server.protocol === 'http:' ? http : https;
    return transport.request(
      {
        protocol: this.server.protocol,
        hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
        port: this.server.port || (this.server.protocol === 'http:' ? 80 : 443),
        method: req.method,
        path: req.path,
        headers,
        agent: this.agent,
        signal,
      },
      onResponse,
    );
  }

  close(): void {
    this.agent.destroy();
  }
}

/** HTTP/2: every request a stream on one TLS connection, opened again when it breaks. */
export class Http2Transport implements Transport {
  private session: http2.ClientHttp2Session | undefined;
  private sessionError: Error | undefined;

  constructor(
    private readonly server: URL,
    private readonly tls: TlsOptions,
  ) {}

  private connect(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = http2.connect(this.server.origin, { ...this.tls, ALPNProtocols: ['h2'] });
    this.sessionError = undefined;
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', (error: Error) => {
      this.sessionError = error;
      forget();
    });
    session.on('goaway', forget);
    session.on('close', forget);
    this.session = session;
    return session;
  }

  send(req: WireRequest): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        const headers: http2.OutgoingHttpHeaders = { ':method': req.method, ':path': req.path };
        for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
        // Node ends GET and DELETE streams at once unless told otherwise; DELETE carries DeleteOptions.
        stream = this.connect().request(headers, { endStream: req.payload === undefined });
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      let status = 0;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => {
        status = Number(headers[':status'] ?? 0);
        const ra = headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({ status, statusText: '', text: Buffer.concat(chunks).toString('utf8'), retryAfter });
      });
      stream.on('error', fail);
      // A stream closed without an answer (the connection went away): report the connection's error.
      stream.on('close', () => fail(this.sessionError ?? Object.assign(new Error('stream closed'), { code: 'ECONNRESET' })));
      stream.setTimeout(req.timeoutMs, () => {
        fail(timeoutError());
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      if (req.payload !== undefined) stream.end(req.payload);
    });
  }

  stream(req: WireRequest, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', abort);
        fn();
      };
      let stream: http2.ClientHttp2Stream;
      const abort = () => {
        stream?.close(http2.constants.NGHTTP2_CANCEL);
        settle(() => resolve({ status: 0, statusText: 'aborted', text: '' }));
      };
      if (signal.aborted) return resolve({ status: 0, statusText: 'aborted', text: '' });
      signal.addEventListener('abort', abort);
      try {
        const headers: http2.OutgoingHttpHeaders = { ':method': req.method, ':path': req.path };
        for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
        stream = this.connect().request(headers, { endStream: true });
      } catch (error) {
        settle(() => reject(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => (status = Number(headers[':status'] ?? 0)));
      stream.on('data', (chunk: Buffer) => (status < 300 ? onData(chunk) : chunks.push(chunk)));
      stream.on('end', () => settle(() => resolve({ status, statusText: '', text: Buffer.concat(chunks).toString('utf8') })));
      stream.on('error', (error) => settle(() => reject(error)));
      stream.on('close', () =>
        settle(() => reject(this.sessionError ?? Object.assign(new Error('stream closed'), { code: 'ECONNRESET' }))),
      );
      // No data at all for this long (not even a bookmark) means the connection is gone.
      stream.setTimeout(req.timeoutMs, () => {
        settle(() => reject(timeoutError()));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
    });
  }

  close(): void {
    this.session?.close();
    this.session?.destroy();
    this.session = undefined;
  }
}
