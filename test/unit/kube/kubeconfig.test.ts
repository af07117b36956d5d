// The kubeconfig reader gives KubeClient the same TLS options and headers client-node's KubeConfig
// gives, for the entries it reads itself; exec plugins and auth providers still go to client-node.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Kubeconfig, KubeconfigError, loadKubeconfig } from '../../../src/kube/kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfigDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-'));
  writeFileSync(path.join(dir, 'ca.pem'), 'CA FROM FILE');
  writeFileSync(path.join(dir, 'token'), 'file-token\n');
  writeFileSync(
    path.join(dir, 'config'),
    `apiVersion: v1
kind: Config
current-context: admin
clusters:
  - name: local
    cluster: { server: 'https://127.0.0.1:6443', certificate-authority-data: ${b64('CA DATA')} }
  - name: other
    cluster: { server: 'https://10.0.0.1', certificate-authority: ca.pem, tls-server-name: api.example, insecure-skip-tls-verify: true }
users:
  - name: admin
    user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }
  - name: robot
    user: { tokenFile: token }
contexts:
  - name: admin
    context: { cluster: local, user: admin }
  - name: robot
    context: { cluster: other, user: robot }
`,
  );
  return dir;
}

async function options(kc: { applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

describe('loadKubeconfig', () => {
  it('reads inline certificates of the current context, as client-node does', async () => {
    const file = path.join(kubeconfigDir(), 'config');
    const ours = loadKubeconfig({ path: file });
    const theirs = new KubeConfig();
    theirs.loadFromFile(file);
    expect(ours.getCurrentContext()).toBe('admin');
    expect(ours.getCurrentCluster()).toEqual({ server: 'https://127.0.0.1:6443', tlsServerName: undefined, skipTLSVerify: false });
    const mine = await options(ours);
    const client = await options(theirs);
    expect(mine.ca).toEqual(client.ca);
    expect(mine.cert).toEqual(client.cert);
    expect(mine.key).toEqual(client.key);
  });

  it('resolves files against the kubeconfig folder and reads the token file on each call', async () => {
    const dir = kubeconfigDir();
    const kc = loadKubeconfig({ path: path.join(dir, 'config'), context: 'robot' });
    expect(kc.getCurrentCluster()).toEqual({ server: 'https://10.0.0.1', tlsServerName: 'api.example', skipTLSVerify: true });
    const first = await options(kc);
    expect(String(first.ca)).toBe('CA FROM FILE');
    expect(first.servername).toBe('api.example');
    expect(first.rejectUnauthorized).toBe(false);
    expect(first.headers).toEqual({ Authorization: 'Bearer file-token' });
    writeFileSync(path.join(dir, 'token'), 'rotated');
    expect((await options(kc)).headers).toEqual({ Authorization: 'Bearer rotated' });
  });

  it('names the missing file or context, never the contents', () => {
    const dir = kubeconfigDir();
    expect(() => loadKubeconfig({ path: path.join(dir, 'nope') })).toThrow(KubeconfigError);
    expect(() => loadKubeconfig({ path: path.join(dir, 'config'), context: 'ghost' })).toThrow(/context "ghost" is not in/);
    writeFileSync(path.join(dir, 'bad'), '- just\n- a list\n');
    expect(() => loadKubeconfig({ path: path.join(dir, 'bad') })).toThrow(/cannot be read as a kubeconfig/);
  });

  it('hands exec plugins to client-node', async () => {
    const kc = Kubeconfig.fromString(`
current-context: c
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ['-c', 'echo "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"from-plugin\\"}}"'] } } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
`);
    expect((await options(kc)).headers).toMatchObject({ Authorization: 'Bearer from-plugin' });
  });
});

describe('Kubeconfig.secretValues: what the redactor must never let through', () => {
  it('lists tokens, token files, passwords, client keys (inline, decoded, and files) and auth-provider settings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-kc-'));
    writeFileSync(path.join(dir, 'token'), 'file-token-123');
    writeFileSync(path.join(dir, 'key.pem'), 'KEY FROM FILE');
    const key = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n').toString('base64');
    writeFileSync(
      path.join(dir, 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
        'contexts: [{name: x, context: {cluster: c, user: a}}]',
        'current-context: x',
        'users:',
        '- {name: a, user: {token: inline-token-456}}',
        '- {name: b, user: {tokenFile: token}}',
        `- {name: d, user: {client-key-data: ${key}, client-key: key.pem}}`,
        '- {name: e, user: {username: admin, password: hunter2}}',
        '- {name: f, user: {auth-provider: {name: oidc, config: {client-secret: oidc-secret-789}}}}',
      ].join('\n'),
    );
    const values = Kubeconfig.fromFile(path.join(dir, 'config')).secretValues();
    for (const secret of ['inline-token-456', 'file-token-123', 'KEY FROM FILE', key, 'hunter2', 'oidc-secret-789']) expect(values).toContain(secret);
    expect(values.some((v) => v.includes('BEGIN EC PRIVATE KEY'))).toBe(true);
    expect(values).not.toContain('admin');
  });
});
