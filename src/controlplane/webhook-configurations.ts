/**
 * The admission webhook configurations of the Cluster API managers, taken from their upstream
 * `config/webhook/manifests.yaml` (kept by `tools/crds.sh` in `<crd dir>/webhooks/`) and rewritten
 * for managers that run as local processes: each webhook calls `https://127.0.0.1:<port><path>`
 * instead of an in-cluster Service, with the control plane's CA as caBundle.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeError, type KubeClient } from '../kube/client.js';
import { ControlPlaneError } from './errors.js';

/** Label on every webhook configuration written here, so a later start can find and remove them. */
export const WEBHOOKS_LABEL = 'clusterops.io/local-webhooks';
const FIELD_MANAGER = 'clusterops';

const KINDS = {
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
} as const;
type Kind = keyof typeof KINDS;

interface Webhook {
  name: string;
  clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
  [key: string]: unknown;
}

/** One webhook configuration, ready to apply. */
export interface WebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: Kind;
  metadata: { name: string; labels: Record<string, string> };
  webhooks: Webhook[];
}

/**
 * The configurations of `source` (file `<crdDir>/webhooks/<source>.yaml`), named `clusterops-<source>-<upstream name>`,
 * pointing at the webhook server listening on 127.0.0.1:`port`.
 */
export async function webhookConfigurations(crdDir: string, source: string, port: number, caPem: string): Promise<WebhookConfiguration[]> {
  const path = join(crdDir, 'webhooks', `${source}.yaml`);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ControlPlaneError(`cannot read the webhook manifests of ${source} (${path}): ${error.code ?? error.message}; run tools/crds.sh`);
  });
  const caBundle = Buffer.from(caPem).toString('base64');
  const configurations: WebhookConfiguration[] = [];
  for (const doc of parseAllDocuments(text)) {
    const object = doc.toJS() as { kind?: string; metadata?: { name?: string }; webhooks?: Webhook[] } | null;
    if (!object?.kind || !(object.kind in KINDS) || !object.metadata?.name) continue;
    configurations.push({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: object.kind as Kind,
      metadata: { name: `clusterops-${source}-${object.metadata.name}`, labels: { [WEBHOOKS_LABEL]: source } },
      webhooks: (object.webhooks ?? []).map((webhook) => {
        const path = webhook.clientConfig.service?.path ?? '/';
        return { ...webhook, clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle } };
      }),
    });
  }
  if (configurations.length === 0) throw new ControlPlaneError(`${path} holds no webhook configuration`);
  return configurations;
}

/** Applies the configurations (server-side apply, forced). */
export async function applyWebhookConfigurations(client: KubeClient, configurations: WebhookConfiguration[]): Promise<void> {
  for (const configuration of configurations) {
    await client.request({
      verb: 'apply',
      method: 'PATCH',
      path: `/apis/admissionregistration.k8s.io/v1/${KINDS[configuration.kind]}/${encodeURIComponent(configuration.metadata.name)}`,
      query: { fieldManager: FIELD_MANAGER, force: 'true' },
      body: configuration,
      contentType: 'application/apply-patch+yaml',
    });
  }
}

/**
 * Deletes every configuration written here. Left behind by managers that no longer run, they would
 * make the API server refuse every write of a Cluster API object (their failure policy is Fail).
 */
export async function removeWebhookConfigurations(client: KubeClient): Promise<number> {
  let removed = 0;
  for (const plural of Object.values(KINDS)) {
    const path = `/apis/admissionregistration.k8s.io/v1/${plural}`;
    const { body } = await client.request<{ items: Array<{ metadata: { name: string } }> }>({ verb: 'list', method: 'GET', path, query: { labelSelector: WEBHOOKS_LABEL } });
    for (const item of body.items) {
      try {
        await client.request({ verb: 'delete', method: 'DELETE', path: `${path}/${encodeURIComponent(item.metadata.name)}` });
        removed++;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 404)) throw error;
      }
    }
  }
  return removed;
}
