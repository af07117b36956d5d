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

/**
 * Clients for workload clusters, built from Secret `<cluster>-kubeconfig` (key `value`) in the
 * management cluster and cached until the Secret changes. Messages never contain the kubeconfig.
 */
export class WorkloadAccessCache {
  private readonly clients = new Map<string, { resourceVersion: string; client: KubeClient }>();

  constructor(
    private readonly management: KubeApi,
    /** Short timeouts: an unreachable workload cluster must not hold a worker for long. */
    private readonly clientOptions = { maxRetries: 2, timeoutMs: 10_000, maxDelayMs: 2_000 },
  ) {}

  /** A client for the workload cluster `cluster` whose Secret lives in `namespace`. */
  async access(namespace: string, cluster: string): Promise<WorkloadAccess> {
    const name = kubeconfigSecretName(cluster);
    const key = `${namespace}/${name}`;
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
    if (cached && cached.resourceVersion === secret.metadata.resourceVersion) return { ok: true, api: cached.client, server: cached.client.serverUrl };
    this.drop(key);
    const encoded = secret.data?.[KUBECONFIG_SECRET_KEY];
    if (!encoded) return { ok: false, reason: 'BadKubeconfig', message: `Secret ${namespace}/${name} has no key "${KUBECONFIG_SECRET_KEY}"` };
    try {
      const kc = Kubeconfig.fromString(Buffer.from(encoded, 'base64').toString('utf8'));
      const client = await KubeClient.fromKubeConfig(kc, this.clientOptions);
      this.clients.set(key, { resourceVersion: secret.metadata.resourceVersion, client });
      return { ok: true, api: client, server: client.serverUrl };
    } catch {
      return { ok: false, reason: 'BadKubeconfig', message: `Secret ${namespace}/${name} does not hold a usable kubeconfig` };
    }
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
