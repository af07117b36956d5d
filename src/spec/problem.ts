import { clip } from '../model/quote.js';

/** One thing wrong with the declarations, pinned to the place a user must edit. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Field path inside the document, e.g. `spec.nodePools[0].replicas`; empty for the whole file. */
  path: string;
  message: string;
}

/** `file:line:column: field.path: message`, the one format every command prints problems in. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Problems sorted by file, then line and column, so output is stable and reads top to bottom. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/** `spec.nodePools[0].name` from a path of keys and indexes. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${clip(String(seg))}` : clip(String(seg));
  }
  return out;
}
