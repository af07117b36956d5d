/**
 * The read-only fleet dashboard the reconciler serves on its HTTP port: the app shell and its
 * bundle, the login, the JSON of the fleet and of one cluster, and the live stream. Every answer
 * but the login form and the stylesheet needs a login (see dashboard-auth.ts); the data comes from
 * the watches of FleetView, never from a request to the API server per page view, except one
 * cluster's Cluster API tree, read when its page asks and kept briefly (cluster-trees.ts).
 */
import type http from 'node:http';
import type { KubeClient } from '../kube/client.js';
import { type Asset, type AssetName, loadAssets } from './dashboard-assets.js';
import { DashboardAuth, SESSION_COOKIE, type DashboardAuthOptions, type Verdict } from './dashboard-auth.js';
import { ClusterTrees } from './cluster-trees.js';
import { appPage, loginPage, SECURITY_HEADERS } from './dashboard-pages.js';
import { FleetStream } from './fleet-stream.js';
import { FleetView } from './fleet-view.js';

/** What the dashboard is made of. */
export interface DashboardOptions extends Omit<DashboardAuthOptions, 'api'> {
  client: KubeClient;
  /** Told when a watch fails (it retries by itself). */
  onWatchError?: (what: string, error: unknown) => void;
  /** Told of each login and refused login, never with the token. */
  onLogin?: (outcome: { ok: boolean; who?: string; remote?: string }) => void;
  /** Where the bundle is. @default dist/web of the project */
  assetsDir?: string;
}

/** The handlers, one per route of the server's table. */
export type DashboardRoute = 'page' | 'loginPage' | 'login' | 'logout' | 'script' | 'style' | 'fleet' | 'cluster' | 'tree' | 'stream';

type Body = { status: number; body: string | Buffer; type: string; headers?: Record<string, string> };

function answer(res: http.ServerResponse, a: Body): void {
  res.writeHead(a.status, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', 'Content-Type': a.type, 'Content-Length': Buffer.byteLength(a.body), ...a.headers });
  res.end(a.body);
}

const json = (status: number, data: unknown): Body => ({ status, body: JSON.stringify(data), type: 'application/json; charset=utf-8' });
const html = (status: number, text: string, headers?: Record<string, string>): Body => ({ status, body: text, type: 'text/html; charset=utf-8', headers });

/** See the module comment. */
export class Dashboard {
  private readonly view: FleetView;
  private readonly stream: FleetStream;
  private readonly trees: ClusterTrees;

  private constructor(
    private readonly options: DashboardOptions,
    private readonly auth: DashboardAuth,
    private readonly assets: Record<AssetName, Asset>,
  ) {
    this.view = new FleetView(options.client, options.onWatchError).start();
    this.stream = new FleetStream(this.view);
    this.trees = new ClusterTrees(options.client);
  }

  /** Reads the token file and the bundle (clear errors when either is missing), and starts watching the fleet. */
  static async start(options: DashboardOptions): Promise<Dashboard> {
    const assets = loadAssets(options.assetsDir);
    const auth = await DashboardAuth.create({ ...options, api: options.client });
    return new Dashboard(options, auth, assets);
  }

  /** Resolves once the fleet has been listed. */
  get hasSynced(): Promise<void> {
    return this.view.hasSynced;
  }

  /** Browsers connected to the stream. */
  get streams(): number {
    return this.stream.size;
  }

  async stop(): Promise<void> {
    this.stream.close();
    await this.view.stop();
  }

  /** Serves one route; `body` is the request body, read by the server (POST /login only). */
  async handle(route: DashboardRoute, req: http.IncomingMessage, res: http.ServerResponse, body?: Buffer): Promise<void> {
    if (route === 'loginPage') return answer(res, html(200, loginPage({ tokenReview: this.options.tokenReview })));
    if (route === 'login') return this.login(req, res, body ?? Buffer.alloc(0));
    if (route === 'style') return this.asset(req, res, 'dashboard.css');
    if (route === 'logout') {
      this.auth.logout(req);
      return answer(res, html(303, '', { Location: '/login', 'Set-Cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` }));
    }
    const verdict: Verdict = await this.auth.authenticate(req);
    if (!verdict.ok) {
      if (route === 'page') return answer(res, html(303, '', { Location: '/login' }));
      return answer(res, { ...json(401, { error: 'log in first: POST /login, or send Authorization: Bearer TOKEN' }), headers: { 'WWW-Authenticate': 'Bearer realm="clusterops"' } });
    }
    switch (route) {
      case 'page':
        return answer(res, html(200, appPage()));
      case 'script':
        return this.asset(req, res, 'dashboard.js');
      case 'fleet':
        await this.view.hasSynced;
        return answer(res, json(200, { clusters: this.view.rows() }));
      case 'cluster':
        return this.cluster(req, res);
      case 'tree':
        return this.tree(req, res);
      case 'stream':
        return this.stream.attach(req, res);
    }
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const token = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
    const done = await this.auth.login(token);
    this.options.onLogin?.({ ok: !!done, who: done?.who, remote: req.socket.remoteAddress });
    if (!done) return answer(res, html(401, loginPage({ refused: true, tokenReview: this.options.tokenReview })));
    answer(res, html(303, '', { Location: '/', 'Set-Cookie': `${SESSION_COOKIE}=${done.session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${12 * 3600}` }));
  }

  /** The WorkloadCluster a request's `namespace` and `name` name, once the view has synced; undefined (404 answered) when the dashboard does not know it. */
  private async knownCluster(req: http.IncomingMessage, res: http.ServerResponse) {
    const query = new URL(req.url ?? '/', 'http://dashboard').searchParams;
    const namespace = query.get('namespace') ?? '';
    const name = query.get('name') ?? '';
    await this.view.hasSynced;
    const cluster = this.view.cluster(namespace, name);
    if (!cluster) answer(res, json(404, { error: `no WorkloadCluster ${namespace}/${name}` }));
    return cluster && { cluster, namespace, name };
  }

  private async cluster(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const known = await this.knownCluster(req, res);
    if (known) answer(res, json(200, { cluster: known.cluster, events: this.view.eventsOf(known.cluster) }));
  }

  /** The Cluster API tree of a cluster the dashboard knows (never of an object it does not show); 502 with the API server's error when the read fails. */
  private async tree(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const known = await this.knownCluster(req, res);
    if (!known) return;
    const { cluster, namespace, name } = known;
    try {
      answer(res, json(200, await this.trees.tree(namespace, name, cluster.metadata.resourceVersion ?? '')));
    } catch (error) {
      answer(res, json(502, { error: `reading the Cluster API objects of ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}` }));
    }
  }

  private asset(req: http.IncomingMessage, res: http.ServerResponse, name: AssetName): void {
    const a = this.assets[name];
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { ETag: a.etag });
      return void res.end();
    }
    answer(res, { status: 200, body: a.body, type: a.contentType, headers: { ETag: a.etag, 'Cache-Control': 'no-cache' } });
  }
}
