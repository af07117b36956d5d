import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { WorkloadCluster } from '../src/model/workload-cluster.js';
import { KeyMaterial } from './key-material.js';

/** Secret type Cluster API gives a cluster's certificates and keys. */
export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';

/** Label Cluster API puts on every object of a cluster, with the cluster's name as value. */
export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';

/** Pulumi type token of the component that groups one cluster's identity resources. */
export const CLUSTER_IDENTITY_TYPE = 'clusterops:identity:ClusterIdentity';

/** A certificate authority that Cluster API reads from the Secret `<cluster>-<suffix>` when it already exists. */
export interface CertificateAuthority {
  /** Secret name suffix, as Cluster API's `util/secret` names it. */
  suffix: string;
  /** Subject common name, as kubeadm would choose it. */
  commonName: string;
}

/** The three certificate authorities of a kubeadm control plane, one row each. */
export const CERTIFICATE_AUTHORITIES: readonly CertificateAuthority[] = [
  { suffix: 'ca', commonName: 'kubernetes' },
  { suffix: 'etcd', commonName: 'etcd-ca' },
  { suffix: 'proxy', commonName: 'front-proxy-ca' },
];

/** Secret name suffix of the service-account signing key pair (`tls.crt` holds its public key). */
export const SERVICE_ACCOUNT_SUFFIX = 'sa';

/** Every Secret suffix of a cluster identity. */
export const IDENTITY_SECRET_SUFFIXES: readonly string[] = [...CERTIFICATE_AUTHORITIES.map((ca) => ca.suffix), SERVICE_ACCOUNT_SUFFIX];

/** The name Cluster API gives one of a cluster's identity Secrets. */
export function identitySecretName(cluster: string, suffix: string): string {
  return `${cluster}-${suffix}`;
}

/** What a ClusterIdentity needs besides its cluster. */
export interface ClusterIdentityArgs {
  /** Namespace of the cluster's Cluster API objects (the stage's namespace). */
  namespace: pulumi.Input<string>;
}

/**
 * One workload cluster's identity: cluster CA, etcd CA, front-proxy CA and service-account key pair,
 * written as the Secrets Cluster API uses instead of generating its own, so a rebuilt management
 * cluster restores the same identities. With `deletionProtection`, every resource is protected
 * (the engine refuses to delete it) and the Secrets are retained in the cluster if ever released.
 */
export class ClusterIdentity extends pulumi.ComponentResource {
  /** The four Secrets, by suffix (`ca`, `etcd`, `proxy`, `sa`). */
  readonly secrets: Record<string, k8s.core.v1.Secret> = {};
  /** The CA certificates (public), by suffix. */
  readonly caCertificates: Record<string, pulumi.Output<string>> = {};

  constructor(cluster: WorkloadCluster, args: ClusterIdentityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const isProtected = cluster.spec.deletionProtection;
    super(CLUSTER_IDENTITY_TYPE, `${cluster.stage}/${cluster.name}`, {}, { ...opts, protect: isProtected });
    const base = `${cluster.stage}/${cluster.name}`;
    const keep: pulumi.CustomResourceOptions = { parent: this, protect: isProtected };
    const secret = (suffix: string, cert: pulumi.Output<string>, key: pulumi.Output<string>) =>
      new k8s.core.v1.Secret(
        `${base}/${suffix}-secret`,
        {
          metadata: {
            name: identitySecretName(cluster.name, suffix),
            namespace: args.namespace,
            labels: { [CLUSTER_NAME_LABEL]: cluster.name },
          },
          type: CLUSTER_SECRET_TYPE,
          stringData: { 'tls.crt': cert, 'tls.key': pulumi.secret(key) },
        },
        { ...keep, retainOnDelete: isProtected },
      );

    for (const ca of CERTIFICATE_AUTHORITIES) {
      const material = new KeyMaterial(`${base}/${ca.suffix}`, { kind: 'ca', commonName: ca.commonName }, keep);
      this.caCertificates[ca.suffix] = material.certificatePem;
      this.secrets[ca.suffix] = secret(ca.suffix, material.certificatePem, material.privateKeyPem);
    }
    const sa = new KeyMaterial(`${base}/${SERVICE_ACCOUNT_SUFFIX}`, { kind: 'service-account' }, keep);
    this.secrets[SERVICE_ACCOUNT_SUFFIX] = secret(SERVICE_ACCOUNT_SUFFIX, sa.certificatePem, sa.privateKeyPem);

    this.registerOutputs({ caCertificates: this.caCertificates });
  }
}
