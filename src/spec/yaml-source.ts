import { Composer, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { boundedCst } from './_cst-bounds.js';
import { duplicateKeys } from './_duplicate-keys.js';
import { MAX_FILE_BYTES, tooLarge } from './limits.js';
import { clip, quote } from '../model/quote.js';
import type { Problem } from './problem.js';
import { formatPath } from './problem.js';

/** A parsed YAML file that can say at which line and column any field path stands. */
export interface YamlSource {
  file: string;
  /** The single document's plain value. */
  value: unknown;
  /** Position of the value at `path`; with `key`, of its key. Falls back to the nearest parent that exists. */
  locate(path: ReadonlyArray<PropertyKey>, opts?: { key?: boolean }): { line: number; column: number; exact: boolean };
  /** The scalar at `path` as written in the file (`1e309`, `.inf`), or undefined when it is not a scalar there. */
  written(path: ReadonlyArray<PropertyKey>): string | undefined;
  /** A Problem at `path`. */
  problem(path: ReadonlyArray<PropertyKey>, message: string, opts?: { key?: boolean }): Problem;
}

/**
 * Reads one YAML document from `text`; returns the source, or the problems that stop it being read.
 * Bounded: at most MAX_FILE_BYTES, MAX_DEPTH levels and MAX_ALIASES aliases, duplicate keys found
 * in linear time; a file beyond a bound is a problem at its line, never an exception.
 */
export function parseYamlSource(file: string, text: string | Buffer): { source?: YamlSource; problems: Problem[] } {
  const at = (line: number, column: number, message: string): Problem => ({ file, line, column, path: '', message });
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.length > MAX_FILE_BYTES) return { problems: [at(1, 1, tooLarge(bytes.length))] };
  if (bytes.includes(0)) return { problems: [at(1, 1, 'not a text file (it contains NUL bytes); expected YAML')] };
  let str: string;
  try {
    str = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problems: [at(1, 1, 'not valid UTF-8 text; expected YAML')] };
  }
  const lc = new LineCounter();
  const pos = (offset: number) => lc.linePos(offset);
  const atOffset = (offset: number, message: string) => {
    const { line, col } = pos(offset);
    return at(line, col, message);
  };
  const { tokens, ...bounds } = boundedCst(str, lc);
  if (bounds.broken) return { problems: [atOffset(bounds.broken.offset, bounds.broken.message)] };
  // uniqueKeys is ours (duplicateKeys below): yaml's own check is quadratic in the keys of a mapping.
  const all = [...new Composer({ uniqueKeys: false }).compose(tokens)];
  const problems: Problem[] = [];
  for (const d of all) {
    for (const e of d.errors) problems.push(atOffset(e.pos[0], `YAML syntax: ${clip(firstLine(e.message))}`));
  }
  if (problems.length) return { problems };
  const nonEmpty = all.filter((d) => d.contents !== null);
  if (nonEmpty.length === 0) {
    return { problems: [at(1, 1, 'file is empty; a declaration file must hold exactly one document')] };
  }
  if (nonEmpty.length > 1) {
    return { problems: [atOffset(nonEmpty[1].range[0], 'more than one YAML document; a declaration file holds exactly one')] };
  }
  const doc = nonEmpty[0] as Document.Parsed;
  for (const d of duplicateKeys(doc.contents)) {
    problems.push(atOffset(d.offset, `duplicate key ${quote(d.key)} (first at line ${pos(d.firstOffset).line})`));
  }
  if (problems.length) return { problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // `yaml` counts alias resolutions and throws past maxAliasCount: an exponential expansion.
    const why = error instanceof Error ? error.message : String(error);
    return { problems: [atOffset(bounds.firstAlias ?? 0, `YAML aliases expand too much (${clip(why)}); write the values out`)] };
  }

  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, seg: PropertyKey): Pair | undefined => {
    let index = keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
      keyIndex.set(map, index);
    }
    return index.get(String(seg));
  };
  const walk = (path: ReadonlyArray<PropertyKey>, opts: { key?: boolean }) => {
    let node: Node | null | undefined = doc.contents;
    let best = node?.range?.[0] ?? 0;
    let exact = true;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = pairOf(node, seg);
        if (!pair) { exact = false; break; }
        const keyNode = pair.key as Node;
        if (last && opts.key) { best = keyNode.range?.[0] ?? best; node = undefined; break; }
        node = pair.value as Node | null;
        // A key with no value (`replicas:`) points at its key.
        best = node?.range?.[0] ?? keyNode.range?.[0] ?? best;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg] as Node;
        best = node?.range?.[0] ?? best;
      } else {
        exact = false;
        break;
      }
    }
    return { node, best, exact };
  };
  const locate: YamlSource['locate'] = (path, opts = {}) => {
    const { best, exact } = walk(path, opts);
    const { line, col } = pos(best);
    return { line, column: col, exact };
  };
  const source: YamlSource = {
    file,
    value,
    locate,
    written(path) {
      const { node, exact } = walk(path, {});
      return exact && isScalar(node) && typeof node.source === 'string' ? clip(node.source) : undefined;
    },
    problem(path, message, opts) {
      const { line, column } = locate(path, opts);
      return { file, line, column, path: formatPath(path), message };
    },
  };
  return { source, problems: [] };
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
