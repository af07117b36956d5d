/**
 * A minimal HTTPS client for a kube-apiserver that authenticates with a client certificate, built on
 * `https.request` (global fetch ignores agents, so it cannot present a client certificate). Enough
 * for readiness checks and CRD installation; product code talks to clusters through src/kube.
 */
import { readFile } from 'node:fs/promises';
import { request, Agent } from 'node:https';
import { parse } from 'yaml';
import { ControlPlaneError } from './errors.js';

/** Where the server is and how to authenticate; PEM text, never logged. */
export interface KubeHttpCredentials {
  server: string;
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/** One request. */
export interface KubeHttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with query, e.g. `/readyz?verbose`. */
  path: string;
  body?: string | Buffer;
  contentType?: string;
  timeoutMs?: number;
}

/** A response: status code and body text. */
export interface KubeHttpResponse {
  status: number;
  body: string;
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string } }>;
  users?: Array<{ name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
}

/** An HTTPS client bound to one API server and one client identity. */
export class KubeHttp {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(credentials: KubeHttpCredentials) {
    this.url = new URL(credentials.server);
    this.agent = new Agent({
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
      keepAlive: true,
      maxSockets: 8,
    });
  }

  /** Reads a kubeconfig whose current context uses embedded certificate data (as ours do). */
  static async fromKubeconfig(path: string): Promise<KubeHttp> {
    let doc: KubeconfigDoc;
    try {
      doc = parse(await readFile(path, 'utf8')) as KubeconfigDoc;
    } catch (error) {
      throw new ControlPlaneError(`cannot read kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`);
    }
    const contextName = doc['current-context'];
    const context = doc.contexts?.find((entry) => entry.name === contextName)?.context;
    const cluster = doc.clusters?.find((entry) => entry.name === context?.cluster)?.cluster;
    const user = doc.users?.find((entry) => entry.name === context?.user)?.user;
    const ca = cluster?.['certificate-authority-data'];
    const cert = user?.['client-certificate-data'];
    const key = user?.['client-key-data'];
    if (!cluster?.server || !ca || !cert || !key) {
      throw new ControlPlaneError(
        `kubeconfig ${path}: the current context needs a server, certificate-authority-data and client certificate data`,
      );
    }
    const decode = (data: string) => Buffer.from(data, 'base64');
    return new KubeHttp({ server: cluster.server, ca: decode(ca), cert: decode(cert), key: decode(key) });
  }

  /** The server URL, e.g. `https://127.0.0.1:6443`. */
  get server(): string {
    return this.url.origin;
  }

  /** Sends one request; rejects only on transport errors and timeouts, not on HTTP error statuses. */
  send(req: KubeHttpRequest): Promise<KubeHttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (req.body !== undefined) {
        headers['content-type'] = req.contentType ?? 'application/json';
        headers['content-length'] = Buffer.byteLength(req.body);
      }
      const outgoing = request(
        {
          protocol: 'https:',
          hostname: this.url.hostname,
          port: this.url.port,
          method: req.method ?? 'GET',
          path: req.path,
          agent: this.agent,
          headers,
          timeout: req.timeoutMs ?? 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`request to ${req.path} timed out`)));
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  /** Sends a request and parses a 2xx JSON answer; any other status becomes an error with the server's message. */
  async json<T>(req: KubeHttpRequest): Promise<T> {
    const response = await this.send(req);
    if (response.status < 200 || response.status >= 300) {
      throw new KubeHttpError(response.status, statusMessage(response.body), req.path);
    }
    return JSON.parse(response.body) as T;
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** An HTTP error status from the API server, carrying the server's own message. */
export class KubeHttpError extends Error {
  override readonly name = 'KubeHttpError';
  constructor(
    readonly status: number,
    readonly serverMessage: string,
    readonly path: string,
  ) {
    super(`${path}: ${status}: ${serverMessage}`);
  }
}

/** The `message` of a Kubernetes Status body, or the body itself (shortened). */
export function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON
  }
  return body.length > 500 ? `${body.slice(0, 500)}…` : body;
}
