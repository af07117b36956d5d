import type { CST } from 'yaml';
import { MAX_ALIASES, MAX_DEPTH } from './limits.js';

/** Where a YAML file first breaks a structural bound, found on its syntax tree before composition. */
export interface CstBounds {
  /** The first bound broken, at a source offset; composing such a file could overflow the stack. */
  broken?: { offset: number; message: string };
  /** Offset of the first alias, where an alias expansion that is too large is reported. */
  firstAlias?: number;
}

/**
 * Checks nesting depth and alias count on the CST (which `yaml` builds with an explicit stack), so
 * that a file of 500,000 `[` never reaches the recursive composer. Iterative, linear in the tokens.
 */
export function cstBounds(tokens: readonly CST.Token[]): CstBounds {
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
        out.broken = { offset: tok.offset, message: `YAML nesting is deeper than ${MAX_DEPTH} levels; a declaration needs far fewer` };
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
