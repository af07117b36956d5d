// Remote charts, pinned by the digest of their archive: pulled once by helm from an https URL (a
// local server here) into the chart cache, checked against the digest, and read from the cache
// from then on, without network. A wrong digest, or an OCI registry that cannot be reached, is one
// error naming the file, line and add-on, and nothing is written. The CLI runs as its own process,
// as a user runs it (the pull blocks its process; the server lives in this one).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHelm } from '../../../src/helm/helm-binary.js';
import { writeFleet } from '../../../src/testing.js';
import { PROJECT_ROOT } from '../reconciler/_project-repo.js';

const DEMO_CHART = path.join(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'demo', '0.1.0');
let server: Server;
let base: string;
let archive: Buffer;
let digest: string;
let requests = 0;

beforeAll(async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'clusterops-chart-pkg-'));
  execFileSync(findHelm(), ['package', DEMO_CHART, '--destination', out], { stdio: 'ignore', env: { ...process.env, HELM_CONFIG_HOME: out, HELM_CACHE_HOME: out, HELM_DATA_HOME: out } });
  archive = readFileSync(path.join(out, 'demo-0.1.0.tgz'));
  digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/charts/demo-0.1.0.tgz') res.writeHead(200, { 'content-type': 'application/gzip' }).end(archive);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

const cluster = (addon: string) => `apiVersion: clusterops.io/v1alpha1
kind: WorkloadCluster
metadata: {name: a}
spec:
  provider: local
  kubernetesVersion: v1.36.3
  controlPlane: {replicas: 1}
  addons:
    demo:
${addon}`;

/** `clusterops <args>` in its own process, with the chart cache `cache`. */
async function clusterops(cache: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'clusterops.js'), ...args], {
      env: { ...process.env, CLUSTEROPS_CHART_CACHE: cache, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('remote Helm charts, pinned by digest', () => {
  it('pulls the chart once into the cache, renders it, and renders it again from the cache without network', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'clusterops-chart-cache-'));
    const root = writeFleet({ 's/a.yaml': cluster(`      chart: ${base}/charts/demo-0.1.0.tgz\n      version: 0.1.0\n      digest: "${digest}"\n      values: {greeting: pulled}\n`) });
    const first = await clusterops(cache, ['synth', '--clusters', root]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/name: demo-config\n(.*\n)*?\s+greeting: pulled/);
    expect(requests).toBe(1);
    expect(readdirSync(cache)).toEqual([digest.replace(':', '-')]);
    const offline = await clusterops(cache, ['synth', '--clusters', root], { CLUSTEROPS_CHART_PULL: 'never' });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toBe(first.stdout);
    expect(requests).toBe(1);
  });

  it('refuses an archive whose digest is not the pinned one, at the line of the add-on, and writes nothing', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'clusterops-chart-cache-'));
    const wrong = `sha256:${'1'.repeat(64)}`;
    const root = writeFleet({ 's/a.yaml': cluster(`      chart: ${base}/charts/demo-0.1.0.tgz\n      version: 0.1.0\n      digest: "${wrong}"\n`) });
    const r = await clusterops(cache, ['synth', '--clusters', root]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`s/a.yaml:10:14: spec.addons.demo.chart: chart ${base}/charts/demo-0.1.0.tgz could not be pulled: its archive has digest ${digest}, not the pinned ${wrong}`);
    expect(existsSync(path.join(cache, wrong.replace(':', '-'), 'chart'))).toBe(false);
  });

  it('an OCI registry that cannot be reached is one clear error naming the file, line and add-on; the sandbox-style load says the same from the cache', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'clusterops-chart-cache-'));
    const ref = 'oci://127.0.0.1:9/charts/demo';
    const root = writeFleet({ 's/a.yaml': cluster(`      chart: ${ref}\n      version: 0.1.0\n      digest: "${digest}"\n`) });
    const r = await clusterops(cache, ['validate', '--clusters', root]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('spec.addons'));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`s/a\\.yaml:10:14: spec\\.addons\\.demo\\.chart: chart ${ref.replace(/[./]/g, '\\$&')} could not be pulled: .*(connection refused|connect)`))]);
    // Without network (the reconciler's sandbox), the note the failed pull left is what is reported.
    const offline = await clusterops(cache, ['validate', '--clusters', root], { CLUSTEROPS_CHART_PULL: 'never' });
    expect(offline.stderr).toContain(lines[0]!.slice(lines[0]!.indexOf('spec.addons')));
  });
});
