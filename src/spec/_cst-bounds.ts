import { Lexer, Parser, type CST, type LineCounter } from 'yaml';
import { MAX_ALIASES, MAX_DEPTH } from './limits.js';

/** Where a YAML file first breaks a structural bound, found on its syntax tree before composition. */
export interface CstBounds {
  /** The first bound broken, at a source offset; composing such a file could overflow the stack. */
  broken?: { offset: number; message: string };
  /** Offset of the first alias, where an alias expansion that is too large is reported. */
  firstAlias?: number;
}

/**
 * Builds the CST of `text` as `yaml`'s Parser does, but stops as soon as its stack of open
 * collections passes MAX_DEPTH: 1 MiB of `[` would otherwise build a tree that outgrows a 256 MiB heap.
 */
export function boundedCst(text: string, lc: LineCounter): { tokens: CST.Token[] } & CstBounds {
  const parser = new Parser(lc.addNewLine);
  const tokens: CST.Token[] = [];
  lc.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    // The stack holds the document and each open collection (and a scalar or two being read).
    if (parser.stack.length > MAX_DEPTH + 3) return { tokens: [], broken: { offset: parser.offset, message: depthMessage } };
  }
  for (const t of parser.end()) tokens.push(t);
  return { tokens, ...cstBounds(tokens) };
}

const depthMessage = `YAML nesting is deeper than ${MAX_DEPTH} levels; a declaration needs far fewer`;

/**
 * Checks nesting depth and alias count on the CST (which `yaml` builds with an explicit stack), so
 * that a file of 500,000 `[` never reaches the recursive composer. Iterative, linear in the tokens.
 */
function cstBounds(tokens: readonly CST.Token[]): CstBounds {
  const out: CstBounds = {};
  let aliases = 0;
  const stack: Array<[CST.Token, number]> = tokens.map((t): [CST.Token, number] => [t, 0]).reverse();
  while (stack.length) {
    const [tok, depth] = stack.pop()!;
    if (tok.type === 'alias') {
      out.firstAlias ??= tok.offset;
      if (++aliases > MAX_ALIASES) {
        out.broken = { offset: tok.offset, message: `more than ${MAX_ALIASES} YAML aliases in one file; write the values out` };
        return out;
      }
    } else if (tok.type === 'document') {
      if (tok.value) stack.push([tok.value, depth]);
    } else if (tok.type === 'block-map' || tok.type === 'block-seq' || tok.type === 'flow-collection') {
      if (depth + 1 > MAX_DEPTH) {
        out.broken = { offset: tok.offset, message: depthMessage };
        return out;
      }
      for (let i = tok.items.length - 1; i >= 0; i--) {
        const item = tok.items[i] as { key?: CST.Token | null; value?: CST.Token };
        if (item.value) stack.push([item.value, depth + 1]);
        if (item.key) stack.push([item.key, depth + 1]);
      }
    }
  }
  return out;
}
