import * as pulumi from '@pulumi/pulumi';

/**
 * What one piece of a cluster's identity is: a self-signed certificate authority (`ca`, with its
 * subject common name), or the service-account signing key pair (`service-account`).
 */
export type KeyMaterialKind = 'ca' | 'service-account';

/** Inputs of a KeyMaterial resource. */
export interface KeyMaterialArgs {
  kind: KeyMaterialKind;
  /** Subject CN of a CA certificate (kubeadm's: `kubernetes`, `etcd-ca`, `front-proxy-ca`); none for a service-account key. */
  commonName?: string;
  /** Validity of a CA certificate in days. @default 3650, as Cluster API and kubeadm generate CAs */
  validityDays?: number;
}

/** The outputs of a KeyMaterial resource, as kept in the stack's state. */
export interface KeyMaterialOutputs extends KeyMaterialArgs {
  /** PEM: the CA certificate, or the service-account public key (SubjectPublicKeyInfo), Cluster API's `tls.crt`. */
  certificatePem: string;
  /** PEM `RSA PRIVATE KEY` (PKCS #1), Cluster API's `tls.key`; a secret in state. */
  privateKeyPem: string;
}

/** Pulumi type token of KeyMaterial resources: `pulumi-nodejs:dynamic/<module>:<type>`. */
export const KEY_MATERIAL_TYPE = 'pulumi-nodejs:dynamic/clusterops:KeyMaterial';

/** Default CA validity in days: Cluster API's DefaultCACertificatesExpiryDays, kubeadm's CA lifetime. */
export const CA_VALIDITY_DAYS = 3650;

/** RSA key size of every CA and of the service-account key, kubeadm's and Cluster API's default. */
export const RSA_BITS = 2048;

/**
 * Generates the material, as Cluster API's util/secret does: an RSA key (PKCS #1 PEM), and for a
 * CA a self-signed certificate with CA:TRUE, pathlen 0, key usage keyCertSign + digitalSignature +
 * keyEncipherment (critical), a subject key identifier, valid from five minutes ago for
 * `validityDays`. For a service account, the public key PEM in place of a certificate.
 *
 * It runs inside Pulumi's dynamic-provider host, from the text Pulumi serializes, so it captures
 * nothing but constants and reaches its modules through `load`: the host's CommonJS `require`
 * (resolved from the project's node_modules), or a test's `createRequire`.
 */
export async function generateKeyMaterial(inputs: KeyMaterialArgs, load: NodeJS.Require): Promise<KeyMaterialOutputs> {
  const nodeCrypto = load('crypto') as typeof import('node:crypto');
  const x509 = load('@peculiar/x509') as typeof import('@peculiar/x509');
  const webcrypto = nodeCrypto.webcrypto;
  // Node's Web Crypto, typed by @types/node; @peculiar/x509 types it with the DOM names.
  x509.cryptoProvider.set(webcrypto as never);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: RSA_BITS };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as import('node:crypto').webcrypto.CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = nodeCrypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  if (inputs.kind === 'service-account') {
    const certificatePem = nodeCrypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    return { ...inputs, certificatePem, privateKeyPem };
  }
  const now = Date.now();
  const days = inputs.validityDays ?? CA_VALIDITY_DAYS;
  // A positive serial of 16 random bytes (the top bit cleared), as x509 tooling expects of a CA.
  const serial = nodeCrypto.randomBytes(16);
  serial[0]! &= 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${inputs.commonName}`,
    notBefore: new Date(now - 5 * 60 * 1000),
    notAfter: new Date(now + days * 24 * 60 * 60 * 1000),
    signingAlgorithm: algorithm,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { ...inputs, certificatePem: cert.toString('pem') + '\n', privateKeyPem };
}

/** The inputs that decide what is generated: a change to any of them generates new material (a replacement). */
const GENERATING_INPUTS = ['kind', 'commonName', 'validityDays'] as const;

/**
 * The dynamic provider: `create` generates once; `diff` reports a change only when a generating
 * input changed, so a no-op preview or up never regenerates; there is no update (only replace),
 * and delete has nothing to release outside the state.
 */
export const keyMaterialProvider: pulumi.dynamic.ResourceProvider<KeyMaterialArgs, KeyMaterialOutputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (news.kind !== 'ca' && news.kind !== 'service-account') failures.push({ property: 'kind', reason: 'kind must be "ca" or "service-account"' });
    if (news.kind === 'ca' && !news.commonName) failures.push({ property: 'commonName', reason: 'a CA needs a commonName' });
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    const replaces = GENERATING_INPUTS.filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs) {
    // `require` is the dynamic-provider host's: this text runs there as CommonJS, never in the program.
    const outs = await generateKeyMaterial(inputs, require);
    return { id: (require('crypto') as typeof import('node:crypto')).randomUUID(), outs };
  },
};

/**
 * One generated CA (or service-account key pair), kept in the stack's state with its private key
 * a secret. Generated once: later runs read it from state, so the identity never changes unless
 * its kind or common name does.
 */
export class KeyMaterial extends pulumi.dynamic.Resource {
  /** The CA certificate PEM, or the service-account public key PEM. */
  declare readonly certificatePem: pulumi.Output<string>;
  /** The private key PEM (PKCS #1); secret. */
  declare readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: KeyMaterialArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      keyMaterialProvider,
      name,
      { ...args, certificatePem: undefined, privateKeyPem: undefined },
      { ...opts, additionalSecretOutputs: ['privateKeyPem'] },
      'clusterops',
      'KeyMaterial',
    );
  }
}
