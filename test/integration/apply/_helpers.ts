// Shared setup of the apply engine's integration tests: a client for the suite's control plane and
// small ManifestSets built by hand.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ResourceManager, type ResourceManagerOptions } from '../../../src/apply/resource-manager.js';
import { KubeClient, type KubeApi, type KubeClientOptions, type KubeRequest, type KubeResponse } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig.js';
import type { KubeObject, ManifestSet } from '../../../src/model/manifest-set.js';

/** The kubeconfig of the control plane started by global-setup. */
export function suiteKubeconfig(): string {
  const fromEnv = process.env.CLUSTEROPS_TEST_KUBECONFIG;
  if (fromEnv) return fromEnv;
  return (inject as (key: string) => unknown)('kubeconfig') as string;
}

/** A client of the suite's control plane, with quick retries. */
export async function suiteClient(options: KubeClientOptions = {}, kubeconfig = suiteKubeconfig()): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(loadKubeconfig({ path: kubeconfig }), { baseDelayMs: 50, maxDelayMs: 500, maxRetries: 3, ...options });
}

/** A ResourceManager with quick waits. */
export function manager(api: KubeApi, options: ResourceManagerOptions = {}): ResourceManager {
  return new ResourceManager(api, { waitTimeoutMs: 30_000, ...options });
}

/** A short random suffix, so tests never see each other's objects. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A Namespace object. */
export function namespace(name: string, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(annotations ? { annotations } : {}) } };
}

/** A ConfigMap object. */
export function configMap(ns: string, name: string, data: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, data };
}

/** A namespaced CustomResourceDefinition of kind Widget (`widgets.<group>`, v1) whose objects have `spec.size`. */
export function widgetCrd(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        },
      ],
    },
  };
}

/** A management-cluster ManifestSet. */
export function manifestSet(id: string, objects: KubeObject[]): ManifestSet {
  return { id, target: { kind: 'management', stage: id }, objects };
}

/** Reads one object, or undefined when it does not exist. */
export async function getObject(api: KubeApi, path: string): Promise<Record<string, any> | undefined> {
  try {
    return (await api.request<Record<string, any>>({ verb: 'get', method: 'GET', path })).body;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

/** A KubeApi that delegates to another and lets a test fail chosen requests. */
export class FaultyApi implements KubeApi {
  /** Requests matching this predicate fail with `error` instead of being sent. */
  failWhen: (req: KubeRequest) => boolean = () => false;
  error: Error = Object.assign(new Error('injected fault'), { status: 500 });
  /** Called before each request is sent (after the fault check). */
  onRequest: (req: KubeRequest) => void | Promise<void> = () => {};

  constructor(private readonly inner: KubeApi) {}

  get counter() {
    return this.inner.counter;
  }

  async request<T = unknown>(req: KubeRequest): Promise<KubeResponse<T>> {
    if (this.failWhen(req)) throw this.error;
    await this.onRequest(req);
    return this.inner.request<T>(req);
  }
}
