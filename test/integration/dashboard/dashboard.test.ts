// The fleet dashboard in a real browser (Chromium through playwright-core), served by a real
// `clusterops reconcile` process that follows a real git repository and applies it to a real
// control plane: the login guards every page and API, the fleet table lists the clusters with
// their phases, a commit arrives live (no reload), a failing cluster's page names file:line, and a
// suspended cluster's page shows what the revision that waits would change.
// CLUSTEROPS_SCREENSHOTS=DIR keeps the screenshots there (README: test/screenshots).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDashboard } from '../../../src/dashboard/bundle.js';
import { startTestControlPlane, type TestControlPlane } from '../_control-plane.js';
import { declaration, fakeSynth, fleetRepo } from '../reconciler/_fleet-repo.js';
import { runMain } from '../../_run-command.js';
import { launchBrowser } from './_browser.js';
import { startReconcilerChild, type ReconcilerChild } from './_reconciler-child.js';

const TOKEN = 'dashboard-test-token-6f1d2a9c4b';
const stage = 'dash';
/**
 * The fake synth of _fleet-repo.ts, except that a declaration whose provider is not docker is
 * reported as blocked (the cluster, its file and line) instead of failing the whole revision, as the
 * real synth reports a declaration that does not validate.
 */
function blockingSynth(): string {
  const failing = "if (doc.spec.provider !== 'docker') { process.stderr.write(where + ':1: spec.provider: must be docker here\\n'); failed = true; continue; }";
  const blocking =
    "if (doc.spec.provider !== 'docker') { const line = readFileSync(where, 'utf8').split('\\n').findIndex((l) => l.includes('\"provider\"')) + 1; " +
    "blocked.push({ stage, clusters: [doc.metadata.name], problems: [{ file: 'clusters/' + stage + '/' + file, line, column: 5, path: 'spec.provider', message: 'must be docker here' }] }); continue; }";
  const synth = fakeSynth();
  if (!synth.includes(failing)) throw new Error('the fake synth changed: update blockingSynth');
  return synth
    .replace(failing, blocking)
    .replace('let failed = false;', 'let failed = false;\nconst blocked = [];')
    .replace('sets: out.map((set) => ({ ...set, target: target(set.id) }))', 'sets: out.map((set) => ({ ...set, target: target(set.id) })), ...(blocked.length ? { blocked } : {})');
}

const shots = process.env.CLUSTEROPS_SCREENSHOTS ? path.resolve(process.env.CLUSTEROPS_SCREENSHOTS) : mkdtempSync(path.join(tmpdir(), 'clusterops-shots-'));

describe('fleet dashboard', () => {
  let cp: TestControlPlane;
  let reconciler: ReconcilerChild;
  let browser: Browser;
  let page: Page;
  let work: string;
  const repo = fleetRepo(stage);

  /** Waits for a row of the fleet table in `phase`; on timeout says what the table and the reconciler's log show. */
  async function row(name: string, phase: string, timeout = 120_000): Promise<void> {
    try {
      await page.waitForSelector(`tr[data-key="${stage}/${name}"][data-phase="${phase}"]`, { timeout });
    } catch (error) {
      const rows = await page.$$eval('table.clusters tbody tr[data-key]', (trs) => trs.map((tr) => tr.textContent)).catch(() => []);
      throw new Error(`${String(error)}\nrows: ${JSON.stringify(rows)}\nreconciler log:\n${reconciler.log().slice(-4000)}`);
    }
  }

  beforeAll(async () => {
    // The bundle as the sources are now (npm test builds it too).
    await bundleDashboard();
    cp = await startTestControlPlane();
    work = mkdtempSync(path.join(tmpdir(), 'clusterops-dashboard-'));
    writeFileSync(path.join(work, 'token'), `${TOKEN}\n`);
    repo.write('bin/clusterops.js', blockingSynth());
    repo.write(`clusters/${stage}/web.yaml`, declaration('web'));
    repo.write(`clusters/${stage}/jobs.yaml`, declaration('jobs'));
    repo.commit('two clusters');
    reconciler = await startReconcilerChild([
      '--repo', repo.url, '--branch', 'main', '--kubeconfig', cp.kubeconfigPath, '--cache-dir', path.join(work, 'cache'),
      '--no-leader-elect', '--listen', '127.0.0.1:0', '--interval', '1s', '--dashboard-token-file', path.join(work, 'token'),
    ]);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 800 } })).newPage();
    mkdirSync(shots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    const code = await reconciler?.stop();
    await cp?.stop();
    repo.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('loads no page and no API without the token', async () => {
    const get = (p: string, headers: Record<string, string> = {}) => fetch(reconciler.url + p, { headers, redirect: 'manual' });
    const root = await get('/');
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/login');
    for (const p of ['/api/fleet', '/api/cluster?namespace=dash&name=web', '/api/cluster/tree?namespace=dash&name=web', '/api/stream', '/dashboard.js']) {
      expect((await get(p)).status, p).toBe(401);
      expect((await get(p, { Authorization: 'Bearer not-the-token' })).status, p).toBe(401);
      expect((await get(p, { Cookie: 'clusterops_dashboard=guessed' })).status, p).toBe(401);
    }
    expect((await get('/api/fleet', { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);

    const refused = await fetch(`${reconciler.url}/login`, { method: 'POST', body: new URLSearchParams({ token: 'wrong' }), redirect: 'manual' });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('not accepted');
    const login = await fetch(`${reconciler.url}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^clusterops_dashboard=[\w-]{40,}; HttpOnly; SameSite=Strict; Path=\//);
    expect((await get('/', { Cookie: cookie.split(';')[0] })).status).toBe(200);
    expect((await get('/api/fleet', { Cookie: cookie.split(';')[0] })).status).toBe(200);

    // In the browser: the dashboard sends it to the login page, which lets it in with the token.
    await page.goto(`${reconciler.url}/`);
    await page.waitForURL(/\/login$/);
    await page.screenshot({ path: path.join(shots, 'login.png') });
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('table.clusters');
    expect(reconciler.log()).not.toContain(TOKEN);
  });

  it('lists the clusters with their phases', async () => {
    // Applied; Provisioning, since no Cluster API controllers run against this control plane.
    for (const name of ['jobs', 'web']) await row(name, 'Provisioning');
    const cells = await page.$$eval(`tr[data-key^="${stage}/"]`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 5).map((td) => td.textContent)));
    expect(cells).toEqual([
      [stage, 'jobs', 'docker', 'v1.33.4', 'Provisioning'],
      [stage, 'web', 'docker', 'v1.33.4', 'Provisioning'],
    ]);
    await page.screenshot({ path: path.join(shots, 'fleet.png') });
  });

  it('shows a commit live, without a reload', async () => {
    await page.evaluate(() => ((globalThis as { notReloaded?: boolean }).notReloaded = true));
    repo.write(`clusters/${stage}/api.yaml`, declaration('api'));
    repo.commit('a third cluster');
    await row('api', 'Provisioning');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The search box and the phase filter narrow the table.
    await page.fill('input[name=search]', 'jobs');
    const keys = () => page.$$eval('table.clusters tbody tr[data-key]', (trs) => trs.map((tr) => tr.getAttribute('data-key')));
    await expect.poll(keys, { timeout: 30_000 }).toEqual([`${stage}/jobs`]);
    await page.fill('input[name=search]', '');
    await expect.poll(keys, { timeout: 30_000 }).toEqual([`${stage}/api`, `${stage}/jobs`, `${stage}/web`]);

    // Its page: conditions, and no "why failing" panel, since nothing is False but Ready (not available yet).
    await page.click(`tr[data-key="${stage}/api"] a`);
    await page.waitForSelector('tr[data-condition="Synced"]');
    expect(await page.textContent('tr[data-condition="Synced"]')).toContain('True');
    // Its Cluster API tree (cluster-tree.test.ts draws a full one): no Cluster API here, so no Cluster yet.
    expect(await (await page.waitForSelector('section.cluster-tree p.empty')).textContent()).toBe('No Cluster yet (not applied yet, or deleted).');
    await page.screenshot({ path: path.join(shots, 'cluster.png'), fullPage: true });
    await page.click('nav a');
    await page.waitForSelector('table.clusters');
  });

  it("a failing cluster's page says why, with file:line", async () => {
    // This repository's synth refuses any provider but docker, naming the file and line; only that cluster is held.
    repo.write(`clusters/${stage}/jobs.yaml`, declaration('jobs', { provider: 'aws', region: 'eu-west-1' }));
    const refused = repo.commit('jobs on aws: refused');
    await row('jobs', 'Degraded');
    // The others moved on to the new revision (the table shows it live).
    await page.waitForSelector(`tr[data-key="${stage}/web"] td:nth-child(9):has-text("${refused.slice(0, 7)}")`, { timeout: 120_000 });
    await page.click(`tr[data-key="${stage}/jobs"] a`);
    const panel = await page.waitForSelector('section.why');
    expect(await panel.textContent()).toContain('Why this cluster is failing');
    expect(await panel.textContent()).toContain(`revision ${refused.slice(0, 7)} waits`);
    const where = await page.$$eval('section.why .problems code.where', (c) => c.map((e) => e.textContent));
    expect(where).toContainEqual(expect.stringMatching(/^clusters\/dash\/jobs\.yaml:\d+(:\d+)?$/));
    expect(await page.textContent('section.why .problems')).toContain('spec.provider');
    // Its events say so too (they arrive on the stream).
    await page.waitForSelector('table.events tr.warning');
    await page.screenshot({ path: path.join(shots, 'failing-cluster.png'), fullPage: true });
  });

  it("a suspended cluster's page shows what the revision that waits would change, field by field", async () => {
    await page.click('nav a');
    const suspended = await runMain(['suspend', 'cluster', 'web', '--stage', stage, '--kubeconfig', cp.kubeconfigPath]);
    expect(suspended.code, suspended.stderr).toBe(0);
    await row('web', 'Suspended');
    repo.write(`clusters/${stage}/web.yaml`, declaration('web', { kubernetesVersion: 'v1.34.2' }));
    const waiting = repo.commit('upgrade web while it is suspended');
    await page.click(`tr[data-key="${stage}/web"] a`);
    const change = await page.waitForSelector('section.waiting-changes li[data-change="changed ConfigMap/cluster-web"]', { timeout: 120_000 });
    expect(await page.textContent('section.waiting-changes h2')).toContain(waiting.slice(0, 7));
    const text = (await change.textContent()) ?? '';
    expect(text).toContain('data.version');
    expect(text).toMatch(/"v1\.33\.4"\s*→\s*"v1\.34\.2"/);
    await page.screenshot({ path: path.join(shots, 'waiting-changes.png'), fullPage: true });
    // Resumed, it takes the revision and the panel goes away, live.
    const resumed = await runMain(['resume', 'cluster', 'web', '--stage', stage, '--kubeconfig', cp.kubeconfigPath]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await page.waitForSelector('section.waiting-changes', { state: 'detached', timeout: 120_000 });
  });
});
