/**
 * ManifestSets as YAML: the same objects give the same bytes on every run and machine. Keys keep
 * the order synth produced, lines are never folded, nothing time- or host-dependent is written.
 * Layout of `writeManifestSets(sets, DIR)`:
 *   DIR/<stage>/management.yaml          the management set of the stage
 *   DIR/<stage>/<cluster>/addons.yaml    the add-on set of each workload cluster of the stage
 */
import { mkdir, readdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Scalar, stringify } from 'yaml';
import type { KubeObject, ManifestSet } from '../model/manifest-set.js';

/** File name of a stage's management set, under DIR/<stage>/. */
export const MANAGEMENT_FILE = 'management.yaml';
/** File name of a cluster's add-on set, under DIR/<stage>/<cluster>/. */
export const ADDONS_FILE = 'addons.yaml';

/**
 * Plain scalars that YAML 1.2 reads as strings but YAML 1.1 parsers (the one inside kubectl among
 * them) read as booleans or numbers; such strings are written double-quoted.
 */
const YAML_1_1_NON_STRINGS: readonly RegExp[] = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/, // sexagesimal
  /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[0-9][0-9_]*)$/, // integers, with underscores
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$/, // floats, with underscores
  /^(?:=|<<)$/,
];

/** Whether YAML 1.1 would read `value`, written plain, as something other than this string. */
function ambiguous(value: string): boolean {
  return YAML_1_1_NON_STRINGS.some((pattern) => pattern.test(value));
}

/** `value`, double-quoted when written plain it would be ambiguous. */
function quotedIfAmbiguous(value: string): string | Scalar {
  if (!ambiguous(value)) return value;
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/**
 * A copy of `value` for the YAML writer in which every ambiguous string is a double-quoted Scalar
 * node; an object with an ambiguous key becomes a Map, whose keys may be nodes.
 */
function prepare(value: unknown): unknown {
  if (typeof value === 'string') return quotedIfAmbiguous(value);
  if (Array.isArray(value)) return value.map(prepare);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const entries = keys.map((key) => [key, prepare((value as Record<string, unknown>)[key])] as const);
  if (!keys.some(ambiguous)) return Object.fromEntries(entries);
  return new Map(entries.map(([key, item]) => [quotedIfAmbiguous(key), item]));
}

const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** The YAML of `key: value` for frozen values (a Helm chart's body, shared by every cluster), written once. */
const frozenFields = new WeakMap<object, Map<string, string>>();

/** One top-level field as YAML: a block mapping is the concatenation of its fields'. */
function fieldYaml(key: string, value: unknown): string {
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return stringify(prepare({ [key]: value }), YAML_OPTIONS);
  let byKey = frozenFields.get(value);
  if (!byKey) frozenFields.set(value, (byKey = new Map()));
  let text = byKey.get(key);
  if (text === undefined) byKey.set(key, (text = stringify(prepare({ [key]: value }), YAML_OPTIONS)));
  return text;
}

/** One object as a YAML document, starting with `---`. */
function documentYaml(object: KubeObject): string {
  const shared = Object.values(object).some((v) => typeof v === 'object' && v !== null && Object.isFrozen(v));
  if (!shared) return `---\n${stringify(prepare(object), YAML_OPTIONS)}`;
  return `---\n${Object.entries(object).filter(([, v]) => v !== undefined).map(([k, v]) => fieldYaml(k, v)).join('')}`;
}

/** `objects` as a multi-document YAML stream, one `---`-headed document per object, in the order given. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map(documentYaml).join('');
}

/** The comment line that heads a set's file (and its part of a stdout stream). */
export function manifestSetHeader(set: ManifestSet): string {
  return `# clusterops manifest set: ${set.id}\n`;
}

/** A path segment made of a stage or cluster name, refused when it could leave its folder. */
function segment(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) throw new Error(`"${name}" cannot be a folder name`);
  return name;
}

/** Where `set` is written, relative to the output folder. */
export function manifestSetPath(set: ManifestSet): string {
  const target = set.target;
  return target.kind === 'management'
    ? join(segment(target.stage), MANAGEMENT_FILE)
    : join(segment(target.stage), segment(target.cluster), ADDONS_FILE);
}

/**
 * Writes each set to its file under `dir` (see the layout above) and removes the files of that
 * layout left from sets that no longer exist, and folders that become empty. Touches no other file.
 * Returns the written paths relative to `dir`, in the order of `sets`.
 */
export async function writeManifestSets(sets: readonly ManifestSet[], dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const set of sets) {
    const path = manifestSetPath(set);
    if (written.includes(path)) throw new Error(`two manifest sets write ${path}`);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), manifestSetHeader(set) + toYaml(set.objects));
    written.push(path);
  }
  await removeStale(dir, new Set(written));
  return written;
}

/** Removes DIR/<stage>/management.yaml and DIR/<stage>/<cluster>/addons.yaml files not in `keep`. */
async function removeStale(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const stage of await subfolders(dir)) {
    await removeUnless(join(dir, stage, MANAGEMENT_FILE), keep.has(join(stage, MANAGEMENT_FILE)));
    for (const cluster of await subfolders(join(dir, stage))) {
      await removeUnless(join(dir, stage, cluster, ADDONS_FILE), keep.has(join(stage, cluster, ADDONS_FILE)));
      await removeIfEmpty(join(dir, stage, cluster));
    }
    await removeIfEmpty(join(dir, stage));
  }
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

async function removeUnless(file: string, keep: boolean): Promise<void> {
  if (keep) return;
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

async function removeIfEmpty(folder: string): Promise<void> {
  if ((await readdir(folder)).length === 0) await rmdir(folder);
}
