import { deepFreeze } from '../model/deep-freeze.js';
import type { BlockedDeclaration, Problem } from '../model/blocked-declaration.js';
import { targetOfSetId, type KubeObject, type ManifestSet, type ManifestTarget } from '../model/manifest-set.js';
import { MANIFEST_SETS_API_VERSION } from '../model/manifest-sets-document.js';
import { SynthError } from './synth-error.js';

/** The arguments that ask a revision's clusterops for its ManifestSets as data. */
export const SYNTH_SETS_ARGS = ['synth', '--clusters', 'clusters', '--format', 'sets-json'];

const NO_INTERFACE = `this revision's clusterops does not offer ${MANIFEST_SETS_API_VERSION}`;
const UPGRADE = 'the reconciler reads only that; bring the revision\'s src/ and bin/ up to a clusterops that writes it';

/** The message for a child that does not know `--format sets-json` (an older clusterops), from its stderr; undefined otherwise. */
export function missingInterface(stderr: string): string | undefined {
  return /unknown option '--format'|unknown command 'synth'|error: option '--format <[^>]*>' argument 'sets-json' is invalid/.test(stderr)
    ? `${NO_INTERFACE} (its synth has no --format sets-json); ${UPGRADE}`
    : undefined;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function sameTarget(given: unknown, expected: ManifestTarget): boolean {
  const g = given as Partial<Record<'kind' | 'stage' | 'cluster', unknown>> | null;
  if (typeof g !== 'object' || g === null || g.kind !== expected.kind || g.stage !== expected.stage) return false;
  return expected.kind === 'workload' ? g.cluster === expected.cluster : g.cluster === undefined;
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Partial<KubeObject>;
  return (
    typeof o.apiVersion === 'string' &&
    typeof o.kind === 'string' &&
    typeof o.metadata === 'object' &&
    o.metadata !== null &&
    typeof o.metadata.name === 'string' &&
    (o.metadata.namespace === undefined || typeof o.metadata.namespace === 'string')
  );
}

/** What a `synth --format sets-json` document holds. */
export interface ManifestSetsRead {
  sets: ManifestSet[];
  blocked: BlockedDeclaration[];
}

const isProblem = (p: unknown): p is Problem => {
  const q = p as Partial<Problem> | null;
  return typeof q === 'object' && q !== null && typeof q.file === 'string' && typeof q.line === 'number' && typeof q.column === 'number' && typeof q.path === 'string' && typeof q.message === 'string';
};

/** The blocked declarations of a document, checked: each names a stage, maybe clusters, and at least one problem. */
function readBlocked(raw: unknown): BlockedDeclaration[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new SynthError('output', 'the synth output\'s blocked must be a list');
  return raw.map((b: unknown, i: number) => {
    const d = b as Partial<BlockedDeclaration> | null;
    const where = `blocked[${i}]`;
    if (typeof d !== 'object' || d === null || typeof d.stage !== 'string') throw new SynthError('output', `${where}: needs a stage`);
    if (d.clusters !== undefined && (!Array.isArray(d.clusters) || !d.clusters.every((c) => typeof c === 'string'))) throw new SynthError('output', `${where}: clusters must be a list of names`);
    if (!Array.isArray(d.problems) || d.problems.length === 0 || !d.problems.every(isProblem)) throw new SynthError('output', `${where}: needs its problems (file, line, column, path, message)`);
    return { stage: d.stage, ...(d.clusters ? { clusters: d.clusters } : {}), problems: d.problems };
  });
}

/** The shared bodies of a document (frozen: every object that uses one holds the same copy). */
function readBodies(raw: unknown): Array<Record<string, unknown>> {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((b) => typeof b === 'object' && b !== null && !Array.isArray(b) && !('metadata' in b))) {
    throw new SynthError('output', 'bodies must be a list of objects without metadata');
  }
  for (const b of raw) deepFreeze(b);
  return raw as Array<Record<string, unknown>>;
}

/** `o`, or the object it stands for when it refers to a shared body (`{$body, metadata}`). */
function withBody(o: unknown, bodies: Array<Record<string, unknown>>, where: string): unknown {
  if (typeof o !== 'object' || o === null || !('$body' in o)) return o;
  const { $body, metadata, ...rest } = o as { $body: unknown; metadata?: unknown };
  if (typeof $body !== 'number' || !Number.isInteger($body) || bodies[$body] === undefined || Object.keys(rest).length > 0) {
    throw new SynthError('output', `${where}: $body ${describe($body)} is not an index of bodies (and nothing but metadata goes beside it)`);
  }
  return { ...bodies[$body], metadata };
}

/**
 * The ManifestSets of a `synth --format sets-json` document, checked: the schema version, each
 * set's id and its target (which must agree), no id twice, and that every object is a Kubernetes
 * object; and the declarations it left out (blocked).
 */
export function readManifestSets(text: string): ManifestSetsRead {
  if (text.trimStart().startsWith('#') || !text.trimStart().startsWith('{')) {
    throw new SynthError('output', `${NO_INTERFACE} (it wrote text, not a JSON document); ${UPGRADE}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SynthError('output', `the synth output is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  const d = doc as { apiVersion?: unknown; sets?: unknown; blocked?: unknown; bodies?: unknown };
  if (typeof doc !== 'object' || doc === null || d.apiVersion !== MANIFEST_SETS_API_VERSION) {
    throw new SynthError('output', `${NO_INTERFACE}: it speaks ${describe(d?.apiVersion)}; ${UPGRADE}`);
  }
  if (!Array.isArray(d.sets)) throw new SynthError('output', 'the synth output has no list of sets');
  const bodies = readBodies(d.bodies);
  const seen = new Set<string>();
  const sets = d.sets.map((raw: unknown, i: number): ManifestSet => {
    const s = raw as { id?: unknown; target?: unknown; objects?: unknown; addons?: unknown };
    const where = `sets[${i}]`;
    if (typeof s !== 'object' || s === null || typeof s.id !== 'string') throw new SynthError('output', `${where}: a set needs a string id`);
    const target = targetOfSetId(s.id);
    if (!target) throw new SynthError('output', `${where}: unknown ManifestSet id ${describe(s.id)}`);
    if (!sameTarget(s.target, target)) {
      throw new SynthError('output', `${where} (${s.id}): target ${describe(s.target)} does not match its id (${describe(target)})`);
    }
    if (seen.has(s.id)) throw new SynthError('output', `${where}: ManifestSet ${s.id} appears twice`);
    seen.add(s.id);
    if (!Array.isArray(s.objects)) throw new SynthError('output', `${where} (${s.id}): objects must be a list`);
    s.objects = s.objects.map((o: unknown, j: number) => withBody(o, bodies, `${where}.objects[${j}] (${s.id})`));
    (s.objects as unknown[]).forEach((o: unknown, j: number) => {
      if (!isKubeObject(o)) throw new SynthError('output', `${where}.objects[${j}] (${s.id}): not a Kubernetes object (apiVersion, kind and metadata.name): ${describe(o)}`);
    });
    const addons = s.addons;
    if (addons !== undefined && (target.kind !== 'workload' || !Array.isArray(addons) || !addons.every((a) => typeof a === 'string'))) {
      throw new SynthError('output', `${where} (${s.id}): addons must be a list of add-on names, on an add-on set only`);
    }
    return { id: s.id, target, objects: s.objects as KubeObject[], ...(addons ? { addons: addons as string[] } : {}) };
  });
  return { sets, blocked: readBlocked(d.blocked) };
}
