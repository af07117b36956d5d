/**
 * The identity material of a local control plane: certificate authorities, serving and client
 * certificates and the service-account key pair, kept as PEM files under `<stateDir>/pki`.
 * Files that exist and are still valid are reused, so a restarted control plane keeps its identity.
 * A caller may provide the authorities and the service-account key instead (`seedPki`, e.g. from
 * Cluster API's `<cluster>-ca` Secrets): provided ones are used as they are and never replaced.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod, rename } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { readOptional } from './_read-optional.js';
import { ControlPlaneError } from './errors.js';

// Node's Web Crypto, typed by @types/node; @peculiar/x509 types it with the DOM names.
x509.cryptoProvider.set(webcrypto as never);

type Key = webcrypto.CryptoKey;
interface KeyPair {
  privateKey: Key;
  publicKey: Key;
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** How a provided key of each type is imported into Web Crypto and signs (RSA: what kubeadm and Cluster API generate). */
const IMPORT_ALGORITHMS: Record<string, { key: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams; sign: webcrypto.Algorithm & { hash: string } }> = {
  rsa: { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } },
  'ec:prime256v1': { key: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  'ec:secp384r1': { key: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
};
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 825;
/** A leaf certificate that expires sooner than this is issued again. */
const RENEW_BEFORE_DAYS = 30;

/** The in-cluster IP of the `kubernetes` Service, the first address of SERVICE_CIDR. */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
/** The Service IP range handed to kube-apiserver. */
export const SERVICE_CIDR = '10.0.0.0/24';

/** The name kube-apiserver accepts in the front-proxy client certificate (`--requestheader-allowed-names`). */
export const FRONT_PROXY_CLIENT_NAME = 'front-proxy-client';

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
  /** Signs the client certificate the API server presents to aggregated API servers (request-header authentication). */
  frontProxyCa: CertPaths;
  frontProxyClient: CertPaths;
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
/** The three certificate authorities. */
type AuthorityName = 'ca' | 'etcdCa' | 'frontProxyCa';

interface LeafSpec {
  file: string;
  issuer: AuthorityName;
  subject: string;
  usage: Usage;
  dns?: string[];
  ips?: string[];
}

const LOOPBACK_DNS = ['localhost'];
const LOOPBACK_IPS = ['127.0.0.1', '::1'];

/** The leaf certificates, one row each. */
const LEAVES: Record<Exclude<keyof PkiPaths, 'dir' | AuthorityName | 'serviceAccount'>, LeafSpec> = {
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
  frontProxyClient: { file: 'front-proxy-client', issuer: 'frontProxyCa', subject: `CN=${FRONT_PROXY_CLIENT_NAME}`, usage: 'client' },
  webhookServer: { file: 'webhook-server', issuer: 'ca', subject: 'CN=clusterops-webhooks', usage: 'server', dns: LOOPBACK_DNS, ips: LOOPBACK_IPS },
};

const CAS: Record<AuthorityName, { file: string; subject: string }> = {
  ca: { file: 'ca', subject: 'CN=clusterops-controlplane-ca' },
  etcdCa: { file: 'etcd-ca', subject: 'CN=clusterops-etcd-ca' },
  frontProxyCa: { file: 'front-proxy-ca', subject: 'CN=clusterops-front-proxy-ca' },
};

/** File listing the authorities (and `serviceAccount`) a caller provided; those are never generated or renewed. */
const PROVIDED_FILE = 'provided.json';

/** PEM material a caller provides instead of generated identity; any part may be absent (it is generated then). */
export interface PkiSeed {
  ca?: { cert: string; key: string };
  etcdCa?: { cert: string; key: string };
  frontProxyCa?: { cert: string; key: string };
  /** The service-account signing key pair: PEM public key and private key. */
  serviceAccount?: { publicKey: string; privateKey: string };
}

const EXTENDED_USAGES: Record<Usage, string[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  'server+client': [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

interface Authority {
  cert: x509.X509Certificate;
  keys: KeyPair;
  /** How this authority's key signs. */
  signing: webcrypto.Algorithm & { hash: string };
  /** True when this run created it, so every certificate it signs must be issued again. */
  fresh: boolean;
}

/**
 * Writes provided authorities and service-account keys into `<stateDir>/pki` and records them as
 * provided, so ensurePki uses them as they are. Leaves signed by an authority that changed are
 * issued again by ensurePki. Keys may be RSA or ECDSA (P-256, P-384), in PKCS#1, SEC1 or PKCS#8 PEM.
 */
export async function seedPki(stateDir: string, seed: PkiSeed): Promise<void> {
  const dir = join(stateDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const provided = new Set(await readProvided(dir));
  for (const name of Object.keys(CAS) as AuthorityName[]) {
    const pair = seed[name];
    if (!pair) continue;
    checkKeyPair(name, pair.cert, pair.key);
    await writeIfChanged(join(dir, `${CAS[name].file}.key`), pair.key, 0o600);
    await writeIfChanged(join(dir, `${CAS[name].file}.crt`), pair.cert, 0o644);
    provided.add(name);
  }
  if (seed.serviceAccount) {
    await writeIfChanged(join(dir, 'sa.key'), seed.serviceAccount.privateKey, 0o600);
    await writeIfChanged(join(dir, 'sa.pub'), seed.serviceAccount.publicKey, 0o644);
    provided.add('serviceAccount');
  }
  const temporary = join(dir, `${PROVIDED_FILE}.${process.pid}.tmp`);
  await writeFile(temporary, JSON.stringify([...provided].sort()) + '\n', { mode: 0o600 });
  await rename(temporary, join(dir, PROVIDED_FILE));
}

/** Creates what is missing or expiring under `<stateDir>/pki` and returns the paths of every file. */
export async function ensurePki(stateDir: string): Promise<PkiPaths> {
  const dir = join(stateDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = (file: string): CertPaths => ({ cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) });

  const provided = new Set(await readProvided(dir));
  const authorities = {} as Record<AuthorityName, Authority>;
  for (const name of Object.keys(CAS) as AuthorityName[]) {
    authorities[name] = provided.has(name)
      ? await providedAuthority(paths(CAS[name].file), name)
      : await ensureAuthority(paths(CAS[name].file), CAS[name].subject);
  }
  const leaves = {} as Record<keyof typeof LEAVES, CertPaths>;
  for (const [name, spec] of Object.entries(LEAVES) as Array<[keyof typeof LEAVES, LeafSpec]>) {
    leaves[name] = paths(spec.file);
    await ensureLeaf(leaves[name], spec, authorities[spec.issuer]);
  }
  const serviceAccount = { publicKey: join(dir, 'sa.pub'), privateKey: join(dir, 'sa.key') };
  if (provided.has('serviceAccount')) await checkProvidedServiceAccount(serviceAccount.publicKey, serviceAccount.privateKey);
  else await ensureServiceAccountKeys(serviceAccount.publicKey, serviceAccount.privateKey);

  return {
    dir,
    ca: paths(CAS.ca.file),
    etcdCa: paths(CAS.etcdCa.file),
    frontProxyCa: paths(CAS.frontProxyCa.file),
    ...leaves,
    serviceAccount,
  };
}

/** A provided authority, loaded as it is: unusable or expired is an error, never a reason to make a new one. */
async function providedAuthority(paths: CertPaths, name: AuthorityName): Promise<Authority> {
  const [certPem, keyPem] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  if (!certPem || !keyPem) throw new ControlPlaneError(`provided ${name} is missing from ${paths.cert} / ${paths.key}`);
  const loaded = await importPair(certPem, keyPem).catch((error: Error) => {
    throw new ControlPlaneError(`provided ${name} in ${paths.cert} cannot be used: ${error.message}`);
  });
  if (loaded.cert.notAfter.getTime() <= Date.now()) {
    throw new ControlPlaneError(`provided ${name} in ${paths.cert} expired on ${loaded.cert.notAfter.toISOString()}`);
  }
  return { ...loaded, fresh: false };
}

async function checkProvidedServiceAccount(publicKeyPath: string, privateKeyPath: string): Promise<void> {
  const [pub, key] = await Promise.all([readOptional(publicKeyPath), readOptional(privateKeyPath)]);
  if (!pub || !key) throw new ControlPlaneError(`provided service-account keys are missing from ${publicKeyPath} / ${privateKeyPath}`);
}

/** Throws when `certPem` is not a CA certificate or `keyPem` is not its private key. */
function checkKeyPair(name: string, certPem: string, keyPem: string): void {
  let matches: boolean;
  try {
    const cert = new x509.X509Certificate(certPem);
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    matches = Buffer.from(cert.publicKey.rawData).equals(fromKey);
  } catch (error) {
    throw new ControlPlaneError(`provided ${name}: not a PEM certificate and private key (${(error as Error).message})`);
  }
  if (!matches) throw new ControlPlaneError(`provided ${name}: the private key does not belong to the certificate`);
}

async function readProvided(dir: string): Promise<string[]> {
  const text = await readOptional(join(dir, PROVIDED_FILE));
  if (text === undefined) return [];
  try {
    const list = JSON.parse(text) as unknown;
    if (Array.isArray(list) && list.every((item) => typeof item === 'string')) return list;
  } catch {
    // reported below
  }
  throw new ControlPlaneError(`${join(dir, PROVIDED_FILE)} is not a list of provided authorities`);
}

async function writeIfChanged(path: string, content: string, mode: number): Promise<void> {
  if ((await readOptional(path)) === content) return;
  await writeFile(path, content, { mode });
  await chmod(path, mode);
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
  return { cert, keys, signing: SIGNING_ALGORITHM, fresh: true };
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
    signingAlgorithm: issuer.signing,
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

async function loadPair(paths: CertPaths): Promise<Omit<Authority, 'fresh'> | undefined> {
  const [certPem, keyPem] = await Promise.all([readOptional(paths.cert), readOptional(paths.key)]);
  if (!certPem || !keyPem) return undefined;
  try {
    return await importPair(certPem, keyPem);
  } catch {
    // Unreadable or of an unknown algorithm: treat as missing and issue a new one.
    return undefined;
  }
}

/** A certificate and its private key (RSA or ECDSA, any PEM encoding) as Web Crypto keys. */
async function importPair(certPem: string, keyPem: string): Promise<Omit<Authority, 'fresh'>> {
  const cert = new x509.X509Certificate(certPem);
  const nodeKey = createPrivateKey(keyPem);
  const details = nodeKey.asymmetricKeyDetails;
  const type = nodeKey.asymmetricKeyType === 'ec' ? `ec:${details?.namedCurve ?? ''}` : String(nodeKey.asymmetricKeyType);
  const algorithm = IMPORT_ALGORITHMS[type];
  if (!algorithm) throw new Error(`keys of type ${type} are not supported (RSA, ECDSA P-256 or P-384)`);
  const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, algorithm.key, true, ['sign']);
  const publicKey = (await cert.publicKey.export(algorithm.key, ['verify'])) as Key;
  return { cert, keys: { privateKey, publicKey }, signing: algorithm.sign };
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
