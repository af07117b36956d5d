/**
 * A chart folder as helm reads it: its Chart.yaml (name, version), its default values and its
 * values.schema.json, and a digest of every file in it (subcharts included), which names the chart's
 * content wherever it sits: the render cache is keyed by it, and so is a set's synth key.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** One chart folder, read. */
export interface ChartDir {
  /** Absolute path of the folder. */
  dir: string;
  /** Chart.yaml `name`. */
  name: string;
  /** Chart.yaml `version`. */
  version: string;
  /** `sha256:<hex>` of the relative path and bytes of every file, in path order. */
  digest: string;
  /** values.yaml, parsed (`{}` without one). */
  values: Record<string, unknown>;
  /** values.schema.json, parsed, when the chart ships one. */
  schema?: Record<string, unknown>;
}

/** Chart folders read in this process, by digest: where a render finds the chart a loaded fleet names. */
const known = new Map<string, string[]>();

/** A folder of a chart read in this process with this digest that is still there (any: the same digest is the same files). */
export function knownChartDir(digest: string): string | undefined {
  return known.get(digest)?.find((dir) => existsSync(path.join(dir, 'Chart.yaml')));
}

/** A chart folder that cannot be used; the message names the file. */
export class ChartError extends Error {}

/** Files of `dir`, relative, sorted; symbolic links are refused (a chart in git is plain files). */
function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(dir, child));
    else if (entry.isFile()) out.push(child);
    else throw new ChartError(`${path.join(dir, child)}: a chart holds plain files and folders only (this is a link or a device)`);
  }
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the chart at `dir`; throws ChartError when it is not a usable chart. */
export function readChartDir(dir: string): ChartDir {
  const abs = path.resolve(dir);
  const chartFile = path.join(abs, 'Chart.yaml');
  let meta: unknown;
  try {
    meta = parse(readFileSync(chartFile, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ChartError(code === 'ENOENT' ? `${chartFile}: no such file (a chart folder has a Chart.yaml)` : `${chartFile}: ${(error as Error).message}`);
  }
  if (!isMapping(meta) || typeof meta.name !== 'string' || (typeof meta.version !== 'string' && typeof meta.version !== 'number')) {
    throw new ChartError(`${chartFile}: needs a name and a version`);
  }
  const hash = createHash('sha256');
  for (const rel of filesUnder(abs)) {
    hash.update(`${rel}\0${statSync(path.join(abs, rel)).size}\0`);
    hash.update(readFileSync(path.join(abs, rel)));
  }
  const values = readOptional(path.join(abs, 'values.yaml'), (text) => parse(text) ?? {});
  const schema = readOptional(path.join(abs, 'values.schema.json'), (text) => JSON.parse(text));
  if (values !== undefined && !isMapping(values)) throw new ChartError(`${path.join(abs, 'values.yaml')}: expected a mapping`);
  if (schema !== undefined && !isMapping(schema)) throw new ChartError(`${path.join(abs, 'values.schema.json')}: expected a JSON object`);
  const digest = `sha256:${hash.digest('hex')}`;
  const dirs = known.get(digest) ?? [];
  if (!dirs.includes(abs)) known.set(digest, [...dirs, abs]);
  return { dir: abs, name: meta.name, version: String(meta.version), digest, values: values ?? {}, ...(schema ? { schema } : {}) };
}

function readOptional<T>(file: string, parseText: (text: string) => T): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChartError(`${file}: ${(error as Error).message}`);
  }
  try {
    return parseText(text);
  } catch (error) {
    throw new ChartError(`${file}: ${(error as Error).message}`);
  }
}
