import { KubeClient, KubeError, type KubeApi } from './client.js';
import { Kubeconfig } from './kubeconfig.js';

/** Key of the Secret `<cluster>-kubeconfig` that holds the kubeconfig, as Cluster API writes it. */
export const KUBECONFIG_SECRET_KEY = 'value';

/** Name of the Secret holding a workload cluster's kubeconfig. */
export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/** How a workload cluster can be reached, or why it cannot yet. */
export type WorkloadAccess = { ok: true; api: KubeApi; server: string } | { ok: false; reason: 'NoKubeconfig' | 'BadKubeconfig'; message: string };

interface Secret {
  metadata: { resourceVersion: string };
  data?: Record<string, string>;
}

/** How long a client is used before its Secret is read again (a rotated kubeconfig is picked up by then, or at the first failure). */
export const KUBECONFIG_RECHECK_MS = 10 * 60_000;

/**
 * Clients for workload clusters, built from Secret `<cluster>-kubeconfig` (key `value`) in the
 * management cluster and cached until the Secret changes. A cached client is used without reading
 * the Secret again for `recheckMs` (so a pass at rest costs no request for it), or until forget()
 * (the caller's apply through it failed). Messages never contain the kubeconfig.
 */
export class WorkloadAccessCache {
  private readonly clients = new Map<string, { resourceVersion: string; client: KubeClient; checkedAt: number }>();

  constructor(
    private readonly management: KubeApi,
    /** Short timeouts: an unreachable workload cluster must not hold a worker for long. */
    private readonly clientOptions = { maxRetries: 2, timeoutMs: 10_000, maxDelayMs: 2_000 },
    private readonly recheckMs = KUBECONFIG_RECHECK_MS,
  ) {}

  /** A client for the workload cluster `cluster` whose Secret lives in `namespace`. */
  async access(namespace: string, cluster: string): Promise<WorkloadAccess> {
    const name = kubeconfigSecretName(cluster);
    const key = `${namespace}/${name}`;
    const fresh = this.clients.get(key);
    if (fresh && Date.now() - fresh.checkedAt < this.recheckMs) return { ok: true, api: fresh.client, server: fresh.client.serverUrl };
    let secret: Secret;
    try {
      secret = (await this.management.request<Secret>({ verb: 'get', method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}` })).body;
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) {
        this.drop(key);
        return { ok: false, reason: 'NoKubeconfig', message: `waiting for Secret ${namespace}/${name}` };
      }
      throw error;
    }
    const cached = this.clients.get(key);
    if (cached && cached.resourceVersion === secret.metadata.resourceVersion) {
      cached.checkedAt = Date.now();
      return { ok: true, api: cached.client, server: cached.client.serverUrl };
    }
    this.drop(key);
    const encoded = secret.data?.[KUBECONFIG_SECRET_KEY];
    if (!encoded) return { ok: false, reason: 'BadKubeconfig', message: `Secret ${namespace}/${name} has no key "${KUBECONFIG_SECRET_KEY}"` };
    try {
      const kc = Kubeconfig.fromString(Buffer.from(encoded, 'base64').toString('utf8'));
      const client = await KubeClient.fromKubeConfig(kc, this.clientOptions);
      this.clients.set(key, { resourceVersion: secret.metadata.resourceVersion, client, checkedAt: Date.now() });
      return { ok: true, api: client, server: client.serverUrl };
    } catch {
      return { ok: false, reason: 'BadKubeconfig', message: `Secret ${namespace}/${name} does not hold a usable kubeconfig` };
    }
  }

  /** Reads the cluster's Secret again on the next access (an apply through its client failed: the kubeconfig may have been rotated). */
  forget(namespace: string, cluster: string): void {
    const cached = this.clients.get(`${namespace}/${kubeconfigSecretName(cluster)}`);
    if (cached) cached.checkedAt = 0;
  }

  /** Closes every cached client. */
  close(): void {
    for (const key of [...this.clients.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    this.clients.get(key)?.client.close();
    this.clients.delete(key);
  }
}
