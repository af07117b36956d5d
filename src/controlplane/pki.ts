/**
 * The identity material of a local control plane: certificate authorities, serving and client
 * certificates and the service-account key pair, kept as PEM files under `<stateDir>/pki`.
 * Files that exist and are still valid are reused, so a restarted control plane keeps its identity.
 */
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Node's Web Crypto, typed by @types/node; @peculiar/x509 types it with the DOM names.
x509.cryptoProvider.set(webcrypto as never);

type Key = webcrypto.CryptoKey;
interface KeyPair {
  privateKey: Key;
  publicKey: Key;
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 825;
/** A leaf certificate that expires sooner than this is issued again. */
const RENEW_BEFORE_DAYS = 30;

/** The in-cluster IP of the `kubernetes` Service, the first address of SERVICE_CIDR. */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
/** The Service IP range handed to kube-apiserver. */
export const SERVICE_CIDR = '10.0.0.0/24';

/** Paths of one certificate and its private key. */
export interface CertPaths {
  cert: string;
  key: string;
}

/** Every PKI file a control plane needs, by purpose. */
export interface PkiPaths {
  dir: string;
  /** Signs the API server's serving certificate and every client certificate it trusts. */
  ca: CertPaths;
  apiserver: CertPaths;
  /** Trusted by etcd for clients and peers; separate from `ca`, so API clients cannot talk to etcd. */
  etcdCa: CertPaths;
  etcdServer: CertPaths;
  apiserverEtcdClient: CertPaths;
  /** `O=system:masters`: the admin identity written into the admin kubeconfig. */
  admin: CertPaths;
  kubeControllerManager: CertPaths;
  /** Serving certificate of the admission webhooks on loopback (Cluster API's managers); `ca` is their caBundle. */
  webhookServer: CertPaths;
  serviceAccount: { publicKey: string; privateKey: string };
}

type Usage = 'server' | 'client' | 'server+client';

interface LeafSpec {
  file: string;
  issuer: 'ca' | 'etcdCa';
  subject: string;
  usage: Usage;
  dns?: string[];
  ips?: string[];
}

const LOOPBACK_DNS = ['localhost'];
const LOOPBACK_IPS = ['127.0.0.1', '::1'];

/** The leaf certificates, one row each. */
const LEAVES: Record<Exclude<keyof PkiPaths, 'dir' | 'ca' | 'etcdCa' | 'serviceAccount'>, LeafSpec> = {
  apiserver: {
    file: 'apiserver',
    issuer: 'ca',
    subject: 'CN=kube-apiserver',
    usage: 'server',
    dns: [...LOOPBACK_DNS, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: [...LOOPBACK_IPS, KUBERNETES_SERVICE_IP],
  },
  etcdServer: {
    file: 'etcd-server',
    issuer: 'etcdCa',
    subject: 'CN=etcd',
    usage: 'server+client',
    dns: LOOPBACK_DNS,
    ips: LOOPBACK_IPS,
  },
  apiserverEtcdClient: { file: 'apiserver-etcd-client', issuer: 'etcdCa', subject: 'CN=kube-apiserver-etcd-client', usage: 'client' },
  admin: { file: 'admin', issuer: 'ca', subject: 'CN=clusterops-admin, O=system:masters', usage: 'client' },
  kubeControllerManager: { file: 'kube-controller-manager', issuer: 'ca', subject: 'CN=system:kube-controller-manager', usage: 'client' },
  webhookServer: { file: 'webhook-server', issuer: 'ca', subject: 'CN=clusterops-webhooks', usage: 'server', dns: LOOPBACK_DNS, ips: LOOPBACK_IPS },
};

const CAS = {
  ca: { file: 'ca', subject: 'CN=clusterops-controlplane-ca' },
  etcdCa: { file: 'etcd-ca', subject: 'CN=clusterops-etcd-ca' },
} as const;

const EXTENDED_USAGES: Record<Usage, string[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  'server+client': [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

interface Authority {
  cert: x509.X509Certificate;
  keys: KeyPair;
  /** True when this run created it, so every certificate it signs must be issued again. */
  fresh: boolean;
}

/** Creates what is missing or expiring under `<stateDir>/pki` and returns the paths of every file. */
export async function ensurePki(stateDir: string): Promise<PkiPaths> {
  const dir = join(stateDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = (file: string): CertPaths => ({ cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) });

  const authorities = {
    ca: await ensureAuthority(paths(CAS.ca.file), CAS.ca.subject),
    etcdCa: await ensureAuthority(paths(CAS.etcdCa.file), CAS.etcdCa.subject),
  };
  const leaves = {} as Record<keyof typeof LEAVES, CertPaths>;
  for (const [name, spec] of Object.entries(LEAVES) as Array<[keyof typeof LEAVES, LeafSpec]>) {
    leaves[name] = paths(spec.file);
    await ensureLeaf(leaves[name], spec, authorities[spec.issuer]);
  }
  const serviceAccount = { publicKey: join(dir, 'sa.pub'), privateKey: join(dir, 'sa.key') };
  await ensureServiceAccountKeys(serviceAccount.publicKey, serviceAccount.privateKey);

  return { dir, ca: paths(CAS.ca.file), etcdCa: paths(CAS.etcdCa.file), ...leaves, serviceAccount };
}

async function ensureAuthority(paths: CertPaths, subject: string): Promise<Authority> {
  const existing = await loadPair(paths);
  if (existing && existing.cert.notAfter.getTime() > Date.now() + RENEW_BEFORE_DAYS * DAY_MS) {
    return { ...existing, fresh: false };
  }
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore: new Date(Date.now() - 60 * 60 * 1000),
    notAfter: new Date(Date.now() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writePair(paths, cert, keys.privateKey);
  return { cert, keys, fresh: true };
}

async function ensureLeaf(paths: CertPaths, spec: LeafSpec, issuer: Authority): Promise<void> {
  if (!issuer.fresh) {
    const existing = await loadPair(paths);
    if (
      existing &&
      existing.cert.issuer === issuer.cert.subject &&
      existing.cert.notAfter.getTime() > Date.now() + RENEW_BEFORE_DAYS * DAY_MS &&
      (await existing.cert.verify({ publicKey: issuer.cert.publicKey, signatureOnly: true }))
    ) {
      return;
    }
  }
  const keys = await generateKeys();
  const names: x509.JsonGeneralName[] = [
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: spec.subject,
    issuer: issuer.cert.subject,
    notBefore: new Date(Date.now() - 60 * 60 * 1000),
    notAfter: new Date(Date.now() + LEAF_VALIDITY_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(EXTENDED_USAGES[spec.usage]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  await writePair(paths, cert, keys.privateKey);
}

async function ensureServiceAccountKeys(publicKeyPath: string, privateKeyPath: string): Promise<void> {
  const [pub, key] = await Promise.all([readOptional(publicKeyPath), readOptional(privateKeyPath)]);
  if (pub && key) return;
  const keys = await generateKeys();
  await writeSecret(privateKeyPath, await privateKeyPem(keys.privateKey));
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  await writeFile(publicKeyPath, x509.PemConverter.encode(spki, 'PUBLIC KEY'), { mode: 0o644 });
}

async function loadPair(paths: CertPaths): Promise<{ cert: x509.X509Certificate; keys: KeyPair } | undefined> {
  const [certPem, keyPem] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new x509.X509Certificate(certPem);
    const privateKey = (await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, true, [
      'sign',
    ]));
    const publicKey = (await cert.publicKey.export(KEY_ALGORITHM, ['verify'])) as Key;
    return { cert, keys: { privateKey, publicKey } };
  } catch {
    // Unreadable or of another algorithm: treat as missing and issue a new one.
    return undefined;
  }
}

async function writePair(paths: CertPaths, cert: x509.X509Certificate, privateKey: Key): Promise<void> {
  await writeSecret(paths.key, await privateKeyPem(privateKey));
  await writeFile(paths.cert, cert.toString('pem') + '\n', { mode: 0o644 });
}

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed; make sure it is private.
  await chmod(path, 0o600);
}

async function privateKeyPem(key: Key): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

async function generateKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as KeyPair;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  bytes[0] |= 0x01; // no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
