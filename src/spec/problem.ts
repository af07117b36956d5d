import { clip } from '../model/quote.js';

import type { Problem } from '../model/blocked-declaration.js';

export type { Problem } from '../model/blocked-declaration.js';

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
