// A git repository made in the test: declarations as JSON (valid YAML) under clusters/, and its own
// tiny bin/clusterops.js that synthesizes them, so the reconciler runs each revision's own code.
import { declaration as declarationOf } from '../../../src/testing.js';
import { TestRepo } from '../../unit/reconciler/_git-repo.js';

/** The revision's synth: one ConfigMap and one WorkloadCluster mirror per cluster in the stage namespace, add-on ConfigMaps per declared add-on. */
export const FAKE_SYNTH = `
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
const args = process.argv.slice(2);
const root = args[args.indexOf('--clusters') + 1];
const label = process.env.EXTRA_LABEL;
const out = [];
let failed = false;
for (const stage of readdirSync(root).sort()) {
  const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: stage } }];
  const addonSets = [];
  for (const file of readdirSync(path.join(root, stage)).sort()) {
    if (file === 'stage.yaml') continue;
    const where = path.join(root, stage, file);
    const doc = JSON.parse(readFileSync(where, 'utf8'));
    if (doc.spec.provider !== 'docker') { process.stderr.write(where + ':1: spec.provider: must be docker here\\n'); failed = true; continue; }
    const annotations = doc.spec.deletionProtection ? { 'clusterops.io/deletion-protection': 'true' } : {};
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-' + doc.metadata.name, namespace: stage, labels: { 'clusterops.io/cluster': doc.metadata.name, ...LABELS }, annotations }, data: { version: doc.spec.kubernetesVersion } });
    objects.push({ apiVersion: 'clusterops.io/v1alpha1', kind: 'WorkloadCluster', metadata: { name: doc.metadata.name, namespace: stage, labels: { 'clusterops.io/stage': stage, 'clusterops.io/cluster': doc.metadata.name }, annotations }, spec: doc.spec });
    if (doc.spec.addons) {
      addonSets.push({ id: 'addons.' + stage + '.' + doc.metadata.name, objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'platform' } },
        ...Object.keys(doc.spec.addons).sort().map((a) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: a, namespace: 'platform' }, data: { cluster: doc.metadata.name } })),
      ] });
    }
  }
  out.push({ id: 'management.' + stage, objects }, ...addonSets);
}
if (failed) process.exit(1);
const target = (id) => { const [kind, stage, cluster] = id.split('.'); return kind === 'management' ? { kind, stage } : { kind: 'workload', stage, cluster }; };
process.stdout.write(JSON.stringify({ apiVersion: 'clusterops.io/manifest-sets/v1', sets: out.map((set) => ({ ...set, target: target(set.id) })) }) + '\\n');
`;

/** The synth script with extra labels on every cluster ConfigMap (a change to the revision's code). */
export function fakeSynth(labels: Record<string, string> = {}): string {
  return FAKE_SYNTH.replace('...LABELS', `...${JSON.stringify(labels)}`);
}

/** A declaration as JSON (valid YAML; the fake synth reads it with JSON.parse); `spec` overrides its fields. */
export function declaration(name: string, spec: Record<string, unknown> = {}): string {
  return `${JSON.stringify(declarationOf(name, { spec }), null, 2)}\n`;
}

/**
 * A stage.yaml (as JSON) that admits the fake synth's ConfigMaps into the management cluster: they
 * are not among the kinds the admission table lets in there, so each stage grants them.
 */
export function stageFile(stage: string): string {
  return `${JSON.stringify(
    { apiVersion: 'clusterops.io/v1alpha1', kind: 'Stage', metadata: { name: stage }, spec: { admission: { management: [{ group: '', kind: 'ConfigMap' }] } } },
    null,
    2,
  )}\n`;
}

/** A new repository with the fake synth committed, and a stage.yaml (`stageFile`) for each of `stages`. */
export function fleetRepo(...stages: string[]): TestRepo {
  const repo = new TestRepo('main');
  repo.write('package.json', JSON.stringify({ name: 'fleet', type: 'module', private: true }));
  repo.write('bin/clusterops.js', fakeSynth());
  for (const stage of stages) repo.write(`clusters/${stage}/stage.yaml`, stageFile(stage));
  return repo;
}
