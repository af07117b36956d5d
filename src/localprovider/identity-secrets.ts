/**
 * A workload cluster's identity in Cluster API's format, as the kubeadm control plane keeps it:
 * Secrets `<cluster>-ca`, `<cluster>-etcd`, `<cluster>-proxy` (CA certificate and key) and
 * `<cluster>-sa` (service-account public and private key), type `cluster.x-k8s.io/secret`, keys
 * `tls.crt` / `tls.key`, label `cluster.x-k8s.io/cluster-name`. Secrets that exist are used as they
 * are (a Pulumi stack may create them before the cluster exists) and never regenerated; missing ones
 * are generated like Cluster API does (RSA 2048, CA `CN=kubernetes`, 10 years) and owned by the
 * control plane, so they go with it. Pre-existing ones get no owner: they outlive the cluster.
 */
import { createPublicKey, generateKeyPair, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { KubeError, type KubeApi } from '../kube/client.js';
import type { PkiSeed } from '../controlplane/index.js';
import { CLUSTER_NAME_LABEL, corePath, type OwnerReference } from './_objects.js';

x509.cryptoProvider.set(webcrypto as never);

/** Cluster API's Secret type for cluster material. */
export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';

/** The identity Secrets by purpose: name suffix, and the seed field they fill. */
export const IDENTITY_SECRETS = {
  ca: { suffix: 'ca', kind: 'ca' },
  etcdCa: { suffix: 'etcd', kind: 'ca' },
  frontProxyCa: { suffix: 'proxy', kind: 'ca' },
  serviceAccount: { suffix: 'sa', kind: 'keys' },
} as const;
/** One of IDENTITY_SECRETS. */
export type IdentityPurpose = keyof typeof IDENTITY_SECRETS;

const CA_VALIDITY_DAYS = 3650;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

interface Secret {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[] };
  type?: string;
  data?: Record<string, string>;
}

/** What lookupOrGenerateIdentity found and did. */
export interface Identity {
  seed: Required<PkiSeed>;
  /** Purposes whose Secret this call created. */
  generated: IdentityPurpose[];
}

/** Name of the Secret of one purpose. */
export function identitySecretName(cluster: string, purpose: IdentityPurpose): string {
  return `${cluster}-${IDENTITY_SECRETS[purpose].suffix}`;
}

/** Reads the four Secrets, creates the missing ones, and returns their material as a PKI seed. */
export async function lookupOrGenerateIdentity(api: KubeApi, namespace: string, cluster: string, owner: OwnerReference): Promise<Identity> {
  const seed = {} as Record<IdentityPurpose, { cert: string; key: string }>;
  const generated: IdentityPurpose[] = [];
  for (const purpose of Object.keys(IDENTITY_SECRETS) as IdentityPurpose[]) {
    const name = identitySecretName(cluster, purpose);
    let secret = await getSecret(api, namespace, name);
    if (!secret) {
      const material = IDENTITY_SECRETS[purpose].kind === 'ca' ? await generateCa() : await generateServiceAccountKeys();
      secret = await createOrRead(api, namespace, {
        metadata: { name, namespace, labels: { [CLUSTER_NAME_LABEL]: cluster }, ownerReferences: [owner] },
        type: CLUSTER_SECRET_TYPE,
        data: { 'tls.crt': b64(material.cert), 'tls.key': b64(material.key) },
      });
      generated.push(purpose);
    }
    const cert = text(secret, 'tls.crt');
    const key = text(secret, 'tls.key');
    if (!cert || !key) throw new IdentityError(`Secret ${namespace}/${name} lacks tls.crt or tls.key`);
    seed[purpose] = { cert, key };
  }
  return {
    seed: {
      ca: seed.ca,
      etcdCa: seed.etcdCa,
      frontProxyCa: seed.frontProxyCa,
      serviceAccount: { publicKey: seed.serviceAccount.cert, privateKey: seed.serviceAccount.key },
    },
    generated,
  };
}

/** The certificate (`tls.crt`) of one identity Secret; undefined when the Secret or the key is missing. */
export async function identityCertificate(api: KubeApi, namespace: string, cluster: string, purpose: IdentityPurpose): Promise<string | undefined> {
  const secret = await getSecret(api, namespace, identitySecretName(cluster, purpose));
  return secret && text(secret, 'tls.crt');
}

/** A Secret is unusable as cluster identity. */
export class IdentityError extends Error {
  override name = 'IdentityError';
}

/** A self-signed CA as Cluster API makes it: RSA 2048, `CN=kubernetes`, key usages cert sign + digital signature + key encipherment. */
export async function generateCa(): Promise<{ cert: string; key: string }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), RSA, true, ['verify']),
  };
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=kubernetes',
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + CA_VALIDITY_DAYS * 24 * 3600_000),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}

/** A service-account key pair as Cluster API makes it: RSA 2048, `PUBLIC KEY` and `RSA PRIVATE KEY` PEM. */
export async function generateServiceAccountKeys(): Promise<{ cert: string; key: string }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return {
    cert: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

async function getSecret(api: KubeApi, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return (await api.request<Secret>({ verb: 'get', method: 'GET', path: corePath('secrets', namespace, name) })).body;
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return undefined;
    throw error;
  }
}

/** Creates the Secret; when another writer was first, its Secret wins and is returned. */
async function createOrRead(api: KubeApi, namespace: string, secret: Secret): Promise<Secret> {
  try {
    return (await api.request<Secret>({ verb: 'create', method: 'POST', path: corePath('secrets', namespace), body: { apiVersion: 'v1', kind: 'Secret', ...secret } })).body;
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
    const existing = await getSecret(api, namespace, secret.metadata.name);
    if (!existing) throw error;
    return existing;
  }
}

function text(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function b64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}
