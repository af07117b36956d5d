import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { KubeObject } from '../src/model/manifest-set.js';
import type { StackConfig } from './config.js';

/** Name of the Secret with the repository credentials (keys `username`, `password`). */
export const GIT_CREDENTIALS_SECRET = 'clusterops-git-credentials';

/** Name of the Secret with the webhook's shared secret (key `secret`, mounted as the reconciler's `--webhook-secret-file`). */
export const WEBHOOK_SECRET = 'clusterops-webhook';

/** Annotation by which the kubernetes provider creates an object without awaiting its readiness. */
export const SKIP_AWAIT_ANNOTATION = 'pulumi.com/skipAwait';

/** `objs` each annotated so the kubernetes provider does not await it. */
function notAwaited(objs: readonly KubeObject[]): KubeObject[] {
  return objs.map((o) => ({
    ...o,
    metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [SKIP_AWAIT_ANNOTATION]: 'true' } },
  }));
}

/** The reconciler's home in the management cluster. */
export interface ReconcilerResources {
  namespace: k8s.core.v1.Namespace;
  gitCredentials: k8s.core.v1.Secret;
  webhookSecret: k8s.core.v1.Secret;
  /** The project's own cdk8s output for the reconciler, when given. */
  workload?: k8s.yaml.v2.ConfigGroup;
}

/**
 * The reconciler's Namespace and the Secrets it reads, from the stack's config secrets; and its
 * Deployment (with ServiceAccount, RBAC and Service) from `manifests`, which must be the project's
 * own cdk8s output so there is one definition of the reconciler, not a second copy here. The
 * stack's `reconcilerWorkload` says whether that workload is awaited, created without waiting, or left out.
 */
export function reconcilerResources(
  config: StackConfig,
  manifests: readonly KubeObject[] | undefined,
  opts: pulumi.CustomResourceOptions = {},
): ReconcilerResources {
  const ns = config.reconcilerNamespace;
  const namespace = new k8s.core.v1.Namespace('reconciler/namespace', { metadata: { name: ns } }, opts);
  const secretOpts = { ...opts, dependsOn: [namespace] };
  const gitCredentials = new k8s.core.v1.Secret(
    'reconciler/git-credentials',
    {
      metadata: { name: GIT_CREDENTIALS_SECRET, namespace: namespace.metadata.name },
      type: 'Opaque',
      stringData: { username: config.gitUsername, password: pulumi.secret(config.gitToken!) },
    },
    secretOpts,
  );
  const webhookSecret = new k8s.core.v1.Secret(
    'reconciler/webhook',
    {
      metadata: { name: WEBHOOK_SECRET, namespace: namespace.metadata.name },
      type: 'Opaque',
      stringData: { secret: pulumi.secret(config.webhookSecret!) },
    },
    secretOpts,
  );
  const objs = config.reconcilerWorkload === 'none' ? [] : config.reconcilerWorkload === 'skipAwait' ? notAwaited(manifests ?? []) : [...(manifests ?? [])];
  const workload = objs.length
    ? new k8s.yaml.v2.ConfigGroup(
        'reconciler/workload',
        { objs },
        { ...opts, dependsOn: [namespace, gitCredentials, webhookSecret] },
      )
    : undefined;
  return { namespace, gitCredentials, webhookSecret, workload };
}
