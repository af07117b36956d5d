import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Problem } from './problem.js';
import { formatPath } from './problem.js';

/** A parsed YAML file that can say at which line and column any field path stands. */
export interface YamlSource {
  file: string;
  /** The single document's plain value. */
  value: unknown;
  /** Position of the value at `path`; with `key`, of its key. Falls back to the nearest parent that exists. */
  locate(path: ReadonlyArray<PropertyKey>, opts?: { key?: boolean }): { line: number; column: number; exact: boolean };
  /** A Problem at `path`. */
  problem(path: ReadonlyArray<PropertyKey>, message: string, opts?: { key?: boolean }): Problem;
}

/** Reads one YAML document from `text`; returns the source, or the problems that stop it being read. */
export function parseYamlSource(file: string, text: string | Buffer): { source?: YamlSource; problems: Problem[] } {
  const at = (line: number, column: number, message: string): Problem => ({ file, line, column, path: '', message });
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.includes(0)) return { problems: [at(1, 1, 'not a text file (it contains NUL bytes); expected YAML')] };
  let str: string;
  try {
    str = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problems: [at(1, 1, 'not valid UTF-8 text; expected YAML')] };
  }
  const lc = new LineCounter();
  const docs = parseAllDocuments(str, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => lc.linePos(offset);
  const all = Array.isArray(docs) ? docs : [docs];
  const problems: Problem[] = [];
  for (const d of all) {
    for (const e of d.errors) {
      const { line, col } = pos(e.pos[0]);
      problems.push(at(line, col, `YAML syntax: ${firstLine(e.message)}`));
    }
  }
  if (problems.length) return { problems };
  const nonEmpty = all.filter((d) => d.contents !== null);
  if (nonEmpty.length === 0) {
    return { problems: [at(1, 1, 'file is empty; a declaration file must hold exactly one document')] };
  }
  if (nonEmpty.length > 1) {
    const { line, col } = pos(nonEmpty[1].range[0]);
    return { problems: [at(line, col, 'more than one YAML document; a declaration file holds exactly one')] };
  }
  const doc = nonEmpty[0] as Document.Parsed;
  const value = doc.toJS({ maxAliasCount: 100 });

  const locate: YamlSource['locate'] = (path, opts = {}) => {
    let node: Node | null | undefined = doc.contents;
    let best = node?.range?.[0] ?? 0;
    let exact = true;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
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
    const { line, col } = pos(best);
    return { line, column: col, exact };
  };
  const source: YamlSource = {
    file,
    value,
    locate,
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
