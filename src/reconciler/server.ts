import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Dashboard, DashboardRoute } from '../dashboard/dashboard.js';
import type { ReconcilerMetrics } from './metrics.js';
import { deliveryId, RecentDeliveries } from './recent-deliveries.js';
import { readBoundedBody } from './request-body.js';
import { verifyWebhook } from './webhook.js';

/** Largest webhook body read; push notifications are far smaller. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Largest login form read. */
const MAX_LOGIN_BYTES = 16 * 1024;

/** What the HTTP endpoints serve, provided by the process that runs the reconciler. */
export interface ServerOptions {
  /** `host:port`, `:port` (all interfaces) or `port`; port 0 picks a free one. */
  listen: string;
  metrics: ReconcilerMetrics;
  logger: Logger;
  /** Shared secret of the git webhook; without it, POST /hooks/git is refused with 403. */
  webhookSecret?: Buffer;
  /** Called for each verified push notification; asks for an immediate fetch. */
  onPush: () => void;
  /** Whether the process can do its work (for /readyz), with a reason when not. */
  readiness: () => { ready: boolean; message: string };
  /** Deliveries already taken, so a replayed one fetches nothing. @default a new RecentDeliveries per server */
  deliveries?: RecentDeliveries;
  /** The fleet dashboard at `/`; without it, its routes answer 404 saying how to turn it on. */
  dashboard?: Dashboard;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Splits a `--listen` value into host and port. */
export function parseListen(listen: string): { host?: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`--listen ${JSON.stringify(listen)} is not host:port, :port or port`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`--listen ${JSON.stringify(listen)}: port out of range`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : undefined;
  return { host, port };
}

function send(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, options: ServerOptions & { deliveries: RecentDeliveries }) => Promise<void>;

/** A route of the dashboard: 404 with the way to turn it on while it is off. */
function dashboardRoute(route: DashboardRoute): Handler {
  return async (req, res, o) => {
    if (!o.dashboard) return send(res, 404, 'the dashboard is off: start the reconciler with --dashboard-token-file or --dashboard-token-secret (see README, Dashboard)\n');
    if (route !== 'login') return o.dashboard.handle(route, req, res);
    const read = await readBoundedBody(req, MAX_LOGIN_BYTES);
    if (!read.ok) return send(res, 413, `body too large (limit ${MAX_LOGIN_BYTES} bytes)\n`);
    return o.dashboard.handle(route, req, res, read.body);
  };
}

/** The routes, one row each: `METHOD path` to handler. */
const ROUTES: Record<string, Handler> = {
  'GET /': dashboardRoute('page'),
  'GET /login': dashboardRoute('loginPage'),
  'POST /login': dashboardRoute('login'),
  'POST /logout': dashboardRoute('logout'),
  'GET /dashboard.js': dashboardRoute('script'),
  'GET /dashboard.css': dashboardRoute('style'),
  'GET /api/fleet': dashboardRoute('fleet'),
  'GET /api/cluster': dashboardRoute('cluster'),
  'GET /api/cluster/tree': dashboardRoute('tree'),
  'GET /api/stream': dashboardRoute('stream'),
  'GET /healthz': async (_req, res) => send(res, 200, 'ok\n'),
  'GET /readyz': async (_req, res, o) => {
    const r = o.readiness();
    send(res, r.ready ? 200 : 503, `${r.message}\n`);
  },
  'GET /metrics': async (_req, res, o) => {
    const { contentType, body } = await o.metrics.render();
    send(res, 200, body, contentType);
  },
  'POST /hooks/git': async (req, res, o) => {
    if (!o.webhookSecret) return send(res, 403, 'webhook not configured (start with --webhook-secret-file)\n');
    const read = await readBoundedBody(req, MAX_BODY_BYTES);
    if (!read.ok) {
      o.logger.warn({ remote: req.socket.remoteAddress, limit: MAX_BODY_BYTES }, 'webhook refused: body too large');
      return send(res, 413, `body too large (limit ${MAX_BODY_BYTES} bytes)\n`);
    }
    const verdict = verifyWebhook(o.webhookSecret, req.headers, read.body);
    if (!verdict.ok) {
      o.logger.warn({ remote: req.socket.remoteAddress, reason: verdict.reason }, 'webhook refused');
      return send(res, 401, `${verdict.reason}\n`);
    }
    // Only a verified request is remembered, so nobody without the secret can mark a delivery as seen.
    const delivery = deliveryId(verdict.style, req.headers);
    if (delivery !== undefined && o.deliveries.seen(`${verdict.style}:${delivery}`)) {
      o.logger.info({ style: verdict.style, delivery }, 'webhook delivery seen before; not fetching again');
      return send(res, 200, `duplicate delivery ${delivery}: its fetch was already scheduled\n`);
    }
    o.logger.info({ style: verdict.style, delivery, event: req.headers['x-github-event'] ?? req.headers['x-gitlab-event'] }, 'webhook accepted; fetching');
    o.onPush();
    send(res, 202, 'fetch scheduled\n');
  },
};

/** Starts the HTTP server: POST /hooks/git, GET /healthz, /readyz and /metrics, and the dashboard (/, /login, /api/…). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  const routeOptions = { ...options, deliveries: options.deliveries ?? new RecentDeliveries() };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = ROUTES[`${req.method} ${path}`];
    if (!handler) {
      const known = Object.keys(ROUTES).some((k) => k.endsWith(` ${path}`));
      send(res, known ? 405 : 404, known ? 'method not allowed\n' : 'not found\n');
      return;
    }
    handler(req, res, routeOptions).catch((error: unknown) => {
      options.logger.error({ path, err: error instanceof Error ? error.message : String(error) }, 'request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
