/**
 * The declarations under a clusters folder as parsed YAML, nothing validated: for the reconciler's
 * own reading of a revision (which remote charts to pull, which add-ons each cluster declares),
 * independent of whatever that revision's code says. A file that does not parse is left out here;
 * the synth's own load reports it.
 */
import { parse } from 'yaml';
import { readBounded } from './_read-bounded.js';
import { listFleetFiles } from './fleet-files.js';

/** One parsed declaration: a stage's stage.yaml, or a cluster file. */
export interface RawDeclaration {
  stage: string;
  kind: 'stage' | 'cluster';
  doc: Record<string, unknown>;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every declaration under `root` that parses to a mapping (none when the folder cannot be listed). */
export function rawDeclarations(root: string): RawDeclaration[] {
  let listed;
  try {
    listed = listFleetFiles(root);
  } catch {
    return [];
  }
  const out: RawDeclaration[] = [];
  for (const stage of listed.stages) {
    const files = [...(stage.stageFile ? [{ f: stage.stageFile, kind: 'stage' as const }] : []), ...stage.clusterFiles.map((f) => ({ f, kind: 'cluster' as const }))];
    for (const { f, kind } of files) {
      const r = readBounded(f.read);
      if ('error' in r) continue;
      try {
        const doc: unknown = parse(r.bytes.toString('utf8'));
        if (isMapping(doc)) out.push({ stage: stage.name, kind, doc });
      } catch {
        // Not YAML: the revision's own load says so, at its line.
      }
    }
  }
  return out;
}

/** `spec.addons` of a cluster file, or `spec.defaults.addons` of a stage.yaml, when it is a mapping. */
export function addonsOf(d: RawDeclaration): Record<string, unknown> {
  const spec = isMapping(d.doc.spec) ? d.doc.spec : undefined;
  const addons = d.kind === 'stage' ? (isMapping(spec?.defaults) ? spec.defaults.addons : undefined) : spec?.addons;
  return isMapping(addons) ? addons : {};
}

/**
 * The add-on names each cluster declares, by `<stage>/<metadata.name>`: its own and its stage's
 * defaults. What the reconciler trusts over a revision's claim when it decides that members of an
 * add-on were removed on purpose.
 */
export function declaredAddons(root: string): Map<string, string[]> {
  const all = rawDeclarations(root);
  const defaults = new Map<string, string[]>();
  for (const d of all) if (d.kind === 'stage') defaults.set(d.stage, Object.keys(addonsOf(d)));
  const out = new Map<string, string[]>();
  for (const d of all) {
    const name = isMapping(d.doc.metadata) ? d.doc.metadata.name : undefined;
    if (d.kind !== 'cluster' || typeof name !== 'string') continue;
    const key = `${d.stage}/${name}`;
    // Two files declaring one name: neither is trusted (the load refuses both anyway).
    if (out.has(key)) out.set(key, []);
    else out.set(key, [...new Set([...(defaults.get(d.stage) ?? []), ...Object.keys(addonsOf(d))])].sort());
  }
  return out;
}
