import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyMaterial, keyMaterialProvider } from '../../../stacks/key-material.js';

const load = createRequire(import.meta.url);
const DAY = 24 * 60 * 60 * 1000;

describe('KeyMaterial: identity material as Cluster API and kubeadm make it', () => {
  it('generates a CA kubeadm accepts: CN, ten years, CA:TRUE, critical key usage, subject key id, PKCS #1 key', async () => {
    const m = await generateKeyMaterial({ kind: 'ca', commonName: 'front-proxy-ca' }, load);
    expect(m.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(m.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/);
    const cert = new X509Certificate(m.certificatePem);
    expect(cert.subject).toBe('CN=front-proxy-ca');
    expect(cert.issuer).toBe('CN=front-proxy-ca');
    expect(cert.ca).toBe(true);
    const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(Math.round(lifetime / DAY)).toBe(3650);
    expect(cert.checkPrivateKey(createPrivateKey(m.privateKeyPem))).toBe(true);
    expect(createPrivateKey(m.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);

    const dir = await mkdtemp(path.join(tmpdir(), 'clusterops-ca-'));
    await writeFile(path.join(dir, 'ca.crt'), m.certificatePem);
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', path.join(dir, 'ca.crt')], { encoding: 'utf8' });
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign/);
    expect(text).toMatch(/X509v3 Subject Key Identifier:/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    const verified = execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'ca.crt')], { encoding: 'utf8' });
    expect(verified.trim()).toBe(`${path.join(dir, 'ca.crt')}: OK`);
  });

  it('generates a service-account key: tls.key the RSA private key, tls.crt its public key', async () => {
    const m = await generateKeyMaterial({ kind: 'service-account' }, load);
    expect(m.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(m.certificatePem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const derived = createPublicKey(createPrivateKey(m.privateKeyPem)).export({ type: 'spki', format: 'pem' });
    expect(m.certificatePem).toBe(derived);
  });

  it('never regenerates on a no-op: diff reports a change only when kind, commonName or validity changes', async () => {
    const olds = { kind: 'ca' as const, commonName: 'kubernetes', certificatePem: 'c', privateKeyPem: 'k' };
    await expect(keyMaterialProvider.diff!('id', olds, { kind: 'ca', commonName: 'kubernetes' })).resolves.toMatchObject({ changes: false, replaces: [] });
    await expect(keyMaterialProvider.diff!('id', olds, { kind: 'ca', commonName: 'etcd-ca' })).resolves.toMatchObject({ changes: true, replaces: ['commonName'] });
  });

  it('refuses a CA without a common name, and an unknown kind', async () => {
    const { failures } = await keyMaterialProvider.check!({} as never, { kind: 'ca' });
    expect(failures).toEqual([{ property: 'commonName', reason: 'a CA needs a commonName' }]);
    const bad = await keyMaterialProvider.check!({} as never, { kind: 'tls' as never });
    expect(bad.failures?.[0]?.property).toBe('kind');
  });
});
