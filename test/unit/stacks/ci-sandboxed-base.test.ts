// `clusterops ci` on a pull request that changes code: the base revision is synthesized by its own
// bin/clusterops.js, which is as untrusted as the head's. Here that code is hostile: it looks for a
// credential in its environment and for a file outside its tree, and writes what it found into the
// objects it returns. The offline diff must show that it found nothing, that it ran in the sandbox,
// and still report the pull request's change correctly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ciCommand } from '../../../src/cli/commands/ci.js';
import { loadFleet } from '../../../src/spec/load.js';
import { synthFleet } from '../../../src/synth/synth.js';
import { declarationYaml, writeFleet } from '../../../src/testing.js';
import { TestRepo } from '../reconciler/_git-repo.js';
import { runCommand } from '../../_run-command.js';

const CREDENTIAL_ENV = 'AWS_SECRET_ACCESS_KEY';
const CREDENTIAL = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const FILE_SECRET = 'kubeconfig-of-the-ci-runner';
const cluster = (version: string) => declarationYaml('a', { controlPlaneReplicas: 3, nodePools: [{ name: 'general', replicas: 3 }], spec: { kubernetesVersion: version } });

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function setEnv(name: string, value: string): void {
  const before = process.env[name];
  process.env[name] = value;
  cleanups.push(() => (before === undefined ? delete process.env[name] : (process.env[name] = before)));
}

/**
 * The base's bin/clusterops.js: `sets` (what clusterops would synthesize for the base's clusters),
 * with what it found written as labels on the stage's Namespace (beside the labels it has).
 */
function hostileSynth(sets: unknown, secretFile: string): string {
  return `
import { readFileSync } from 'node:fs';
import os from 'node:os';
const tryRead = (p) => { try { return readFileSync(p, 'utf8'); } catch (e) { return e.code; } };
const sets = ${JSON.stringify(sets)};
const namespace = sets[0].objects.find((o) => o.kind === 'Namespace');
namespace.metadata.labels = {
  ...namespace.metadata.labels,
  'loot/credential': process.env[${JSON.stringify(CREDENTIAL_ENV)}] ?? 'unset',
  'loot/file': tryRead(${JSON.stringify(secretFile)}),
  'loot/hostname': os.hostname(),
  'loot/uid': String(process.getuid()),
};
process.stdout.write(JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets }) + '\\n');
`;
}

describe('clusterops ci: the base revision\'s own code runs in the sandbox', () => {
  it('keeps the credential in the environment and files outside its tree from it, and still reports the change', async () => {
    const secretFile = path.join(tempDir('clusterops-ci-secret-'), 'kubeconfig');
    writeFileSync(secretFile, FILE_SECRET);
    setEnv(CREDENTIAL_ENV, CREDENTIAL);
    setEnv('CLUSTEROPS_CACHE_DIR', tempDir('clusterops-ci-cache-'));

    // What the running clusterops synthesizes for the base's declarations: the hostile code returns exactly that, plus its loot.
    const baseDir = writeFleet({ 'staging/a.yaml': cluster('v1.33.4') }, 'clusterops-ci-base-fleet-');
    cleanups.push(() => rmSync(baseDir, { recursive: true, force: true }));
    const baseSets = synthFleet((await loadFleet(baseDir)).fleet!);
    expect(baseSets[0]!.objects.find((o) => o.kind === 'Namespace')?.metadata.labels).toBeTruthy();

    const repo = new TestRepo('main');
    cleanups.push(() => repo.cleanup());
    repo.write('package.json', JSON.stringify({ name: 'fleet', type: 'module', private: true }));
    repo.write('bin/clusterops.js', hostileSynth(baseSets, secretFile));
    repo.write('clusters/staging/a.yaml', cluster('v1.33.4'));
    repo.commit('base: hostile synth code');
    repo.git('checkout', '--quiet', '-b', 'pr');
    // The pull request changes code (so the base cannot be synthesized by the running code) and a version.
    repo.write('bin/clusterops.js', "process.stderr.write('the head is synthesized in-process, never by this file\\n');\nprocess.exit(1);\n");
    repo.write('clusters/staging/a.yaml', cluster('v1.34.1'));
    repo.commit('pr: new code, new version');

    const r = await runCommand(ciCommand, ['--clusters', path.join(repo.dir, 'clusters'), '--no-preview']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3); // no kubeconfig, --no-preview: named as not run
    expect(r.stdout).toMatch(/\| offline diff \| base `[0-9a-f]{12}` \(merge-base HEAD main; own code \(sandboxed\)\): 3 changed in 2 cluster\(s\)\/stage\(s\) \|/);
    const stage = r.stdout.split(/^## /m).find((s) => s.startsWith('stage staging\n')) ?? '';
    // The base's code ran (its labels are there), as nobody, in the sandbox's UTS namespace, and saw neither secret.
    expect(stage).toContain('- changed Namespace `staging` (used by a)\n');
    expect(stage).toContain('  - `metadata.labels.loot/credential`: "unset" → (none)\n');
    expect(stage).toContain('  - `metadata.labels.loot/file`: "ENOENT" → (none)\n');
    expect(stage).toContain('  - `metadata.labels.loot/hostname`: "synth" → (none)\n');
    expect(stage).toContain('  - `metadata.labels.loot/uid`: "65534" → (none)\n');
    expect(r.stdout).not.toContain(CREDENTIAL);
    expect(r.stdout).not.toContain(FILE_SECRET);
    // And the pull request's change is reported as it is, nothing else.
    const a = r.stdout.split(/^## /m).find((s) => s.startsWith('staging/a\n')) ?? '';
    expect(a).toContain('**Offline diff:** 2 changed\n');
    expect(a).toContain('- changed Cluster `staging/a`\n  - `spec.topology.version`: "v1.33.4" → "v1.34.1"\n');
    expect(a).toContain('- changed WorkloadCluster `staging/a`\n  - `spec.kubernetesVersion`: "v1.33.4" → "v1.34.1"\n');
  }, 120_000);
});
