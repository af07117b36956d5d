import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

/** Where to find the cluster: a kubeconfig file and a context in it. */
export interface KubeconfigOptions {
  /**
   * Path of the kubeconfig file.
   * @default `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account
   */
  path?: string;
  /**
   * Context to use.
   * @default the file's current-context
   */
  context?: string;
}

/** A kubeconfig that cannot be used; the message names the file or context, never its contents. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** The cluster of the selected context, as a client needs it. */
export interface KubeconfigCluster {
  server: string;
  tlsServerName?: string;
  skipTLSVerify?: boolean;
}

/**
 * What KubeClient needs of a kubeconfig: the selected context's cluster, and its TLS material and
 * credentials as https options (called again after a 401, so tokens from files or plugins refresh).
 * Our Kubeconfig implements it; so does `@kubernetes/client-node`'s KubeConfig.
 */
export interface KubeconfigSource {
  getCurrentContext(): string;
  getCurrentCluster(): KubeconfigCluster | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

const SERVICEACCOUNT_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Entry = Record<string, unknown>;
interface Named {
  name: string;
  body: Entry;
  /** Folder that relative file paths in the entry are resolved against. */
  dir: string;
}

/**
 * A kubeconfig (one file, several merged from `$KUBECONFIG`, or the in-cluster service account),
 * read with a YAML parser alone: certificates, keys and CA from files or inline data, bearer tokens
 * (inline or `tokenFile`), basic auth, `insecure-skip-tls-verify` and `tls-server-name`. Users that
 * authenticate through an `exec` plugin or an `auth-provider` are handed to
 * `@kubernetes/client-node`, loaded only then: the common case does not pay its 1 s import.
 */
export class Kubeconfig implements KubeconfigSource {
  private constructor(
    private readonly clusters: Map<string, Named>,
    private readonly users: Map<string, Named>,
    private readonly contexts: Map<string, Named>,
    private currentContext: string,
    /** The documents read, for the client-node fallback. */
    private readonly sources: string[],
  ) {}

  /** Reads one kubeconfig file; relative paths in it are resolved against its folder. */
  static fromFile(file: string): Kubeconfig {
    return Kubeconfig.merge([{ text: readFileSync(file, 'utf8'), dir: path.dirname(path.resolve(file)) }]);
  }

  /** Reads a kubeconfig from its text (relative paths resolved against the working directory). */
  static fromString(text: string): Kubeconfig {
    return Kubeconfig.merge([{ text, dir: process.cwd() }]);
  }

  /** `$KUBECONFIG` (files merged, the first to name an entry wins), else `~/.kube/config`, else the in-cluster service account. */
  static fromDefault(): Kubeconfig {
    const env = process.env.KUBECONFIG;
    if (env) {
      const files = env.split(path.delimiter).filter((f) => f.length > 0 && existsSync(f));
      if (files.length > 0) return Kubeconfig.merge(files.map((f) => ({ text: readFileSync(f, 'utf8'), dir: path.dirname(path.resolve(f)) })));
    }
    const home = path.join(homedir(), '.kube', 'config');
    if (existsSync(home)) return Kubeconfig.fromFile(home);
    if (existsSync(`${SERVICEACCOUNT_ROOT}/token`)) return Kubeconfig.inCluster();
    throw new Error('no kubeconfig');
  }

  /** The service account a pod runs as: `KUBERNETES_SERVICE_HOST`/`_PORT`, its CA and (re-read) token file. */
  static inCluster(): Kubeconfig {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    const one = (name: string, body: Entry) => new Map([[name, { name, body, dir: '/' }]]);
    return new Kubeconfig(
      one('inCluster', { server, 'certificate-authority': `${SERVICEACCOUNT_ROOT}/ca.crt` }),
      one('inClusterUser', { tokenFile: `${SERVICEACCOUNT_ROOT}/token` }),
      one('inClusterContext', { cluster: 'inCluster', user: 'inClusterUser' }),
      'inClusterContext',
      [],
    );
  }

  private static merge(docs: Array<{ text: string; dir: string }>): Kubeconfig {
    const clusters = new Map<string, Named>();
    const users = new Map<string, Named>();
    const contexts = new Map<string, Named>();
    let current = '';
    for (const { text, dir } of docs) {
      const doc: unknown = parse(text);
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a kubeconfig');
      const d = doc as Entry;
      collect(d.clusters, 'cluster', dir, clusters);
      collect(d.users, 'user', dir, users);
      collect(d.contexts, 'context', dir, contexts);
      if (!current && typeof d['current-context'] === 'string') current = d['current-context'];
    }
    return new Kubeconfig(clusters, users, contexts, current, docs.map((d) => d.text));
  }

  /** Whether the kubeconfig has a context of this name. */
  hasContext(name: string): boolean {
    return this.contexts.has(name);
  }

  /** Selects the context to use. */
  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  getCurrentCluster(): KubeconfigCluster | null {
    const cluster = this.entry(this.clusters, 'cluster');
    if (!cluster || typeof cluster.body.server !== 'string') return null;
    return {
      server: cluster.body.server,
      tlsServerName: str(cluster.body['tls-server-name']),
      skipTLSVerify: cluster.body['insecure-skip-tls-verify'] === true,
    };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const user = this.entry(this.users, 'user');
    if (user && (user.body.exec !== undefined || user.body['auth-provider'] !== undefined)) return this.viaClientNode(opts);
    const cluster = this.entry(this.clusters, 'cluster');
    if (cluster) {
      if (cluster.body['insecure-skip-tls-verify'] === true) opts.rejectUnauthorized = false;
      const servername = str(cluster.body['tls-server-name']);
      if (servername) opts.servername = servername;
      const ca = material(cluster, 'certificate-authority');
      if (ca) opts.ca = ca;
    }
    if (!user) return;
    const cert = material(user, 'client-certificate');
    if (cert) opts.cert = cert;
    const key = material(user, 'client-key');
    if (key) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    const impersonate = str(user.body.as);
    if (impersonate) headers['Impersonate-User'] = impersonate;
    const tokenFile = str(user.body.tokenFile) ?? str(user.body['token-file']);
    const token = str(user.body.token) ?? (tokenFile ? readFileSync(resolveIn(user.dir, tokenFile), 'utf8').trim() : undefined);
    if (token) headers.Authorization = `Bearer ${token}`;
    const username = str(user.body.username);
    if (username && !token) opts.auth = `${username}:${str(user.body.password) ?? ''}`;
  }

  /** Every secret value its users hold (tokens and token files, passwords, client keys and key files, auth-provider settings), for redaction. */
  secretValues(): string[] {
    const out: string[] = [];
    const file = (dir: string, f: unknown) => {
      if (typeof f !== 'string') return;
      try {
        out.push(readFileSync(resolveIn(dir, f), 'utf8'));
      } catch {
        // Unreadable: nothing of it can leak either.
      }
    };
    for (const { body, dir } of this.users.values()) {
      for (const k of ['token', 'password', 'client-key-data']) if (typeof body[k] === 'string') out.push(body[k] as string);
      if (typeof body['client-key-data'] === 'string') out.push(Buffer.from(body['client-key-data'], 'base64').toString('utf8'));
      for (const k of ['client-key', 'tokenFile', 'token-file']) file(dir, body[k]);
      const config = (body['auth-provider'] as { config?: Record<string, unknown> } | undefined)?.config ?? {};
      for (const [k, v] of Object.entries(config)) if (typeof v === 'string') (/file$/i.test(k) ? file(dir, v) : out.push(v));
    }
    return out;
  }

  private entry(map: Map<string, Named>, key: 'cluster' | 'user'): Named | undefined {
    const context = this.contexts.get(this.currentContext);
    const name = context ? str(context.body[key]) : undefined;
    return name === undefined ? undefined : map.get(name);
  }

  /** Credential plugins and auth providers: client-node's own implementation, imported now. */
  private async viaClientNode(opts: https.RequestOptions): Promise<void> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    // Only the documents' own entries: the first file to name an entry wins, as above.
    kc.loadFromString(this.sources[0] ?? '');
    for (const text of this.sources.slice(1)) {
      const more = new KubeConfig();
      more.loadFromString(text);
      kc.mergeConfig(more, true);
    }
    kc.setCurrentContext(this.currentContext);
    await kc.applyToHTTPSOptions(opts);
  }
}

/** Loads a kubeconfig file and selects a context, failing with a clear message when either is missing. */
export function loadKubeconfig(options: KubeconfigOptions = {}): Kubeconfig {
  let kc: Kubeconfig;
  if (options.path) {
    if (!existsSync(options.path)) throw new KubeconfigError(`kubeconfig ${options.path} does not exist`);
    try {
      kc = Kubeconfig.fromFile(options.path);
    } catch {
      throw new KubeconfigError(`kubeconfig ${options.path} cannot be read as a kubeconfig file`);
    }
  } else {
    try {
      kc = Kubeconfig.fromDefault();
    } catch {
      throw new KubeconfigError('the default kubeconfig ($KUBECONFIG or ~/.kube/config) cannot be read');
    }
  }
  if (options.context) {
    if (!kc.hasContext(options.context)) {
      const where = options.path ?? 'the default kubeconfig';
      throw new KubeconfigError(`context ${JSON.stringify(options.context)} is not in ${where}`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    const where = options.path ?? 'the default kubeconfig';
    throw new KubeconfigError(`${where} has no cluster for context ${JSON.stringify(kc.getCurrentContext() ?? '')}`);
  }
  return kc;
}

/** Adds the named entries of a kubeconfig list (`clusters`, `users`, `contexts`) that are not there yet. */
function collect(list: unknown, key: string, dir: string, into: Map<string, Named>): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const { name, [key]: body } = item as Entry;
    if (typeof name !== 'string' || into.has(name)) continue;
    into.set(name, { name, body: body !== null && typeof body === 'object' ? (body as Entry) : {}, dir });
  }
}

/** A PEM from `<field>` (a file) or `<field>-data` (base64), as client-node reads them. */
function material(entry: Named, field: string): Buffer | undefined {
  const file = str(entry.body[field]);
  if (file) return readFileSync(resolveIn(entry.dir, file));
  const data = str(entry.body[`${field}-data`]);
  return data ? Buffer.from(data, 'base64') : undefined;
}

function resolveIn(dir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(dir, file);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
