/** One line of an edit script. */
type Op = { kind: ' ' | '-' | '+'; line: string };

const MAX_CELLS = 4_000_000;

/** The edit script turning `a` into `b`: common prefix and suffix kept, the middle by LCS (or replaced whole when huge). */
function editScript(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_CELLS) {
    ops.push(...midA.map((line) => ({ kind: '-' as const, line })), ...midB.map((line) => ({ kind: '+' as const, line })));
  } else {
    const n = midA.length;
    const m = midB.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        ops.push({ kind: ' ', line: midA[i++] });
        j++;
      } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        ops.push({ kind: '-', line: midA[i++] });
      } else {
        ops.push({ kind: '+', line: midB[j++] });
      }
    }
  }
  ops.push(...a.slice(endA).map((line) => ({ kind: ' ' as const, line })));
  return ops;
}

/** A unified diff of two texts with `context` lines around each change; empty when they are equal. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return '';
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const ops = editScript(a, b);
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let index = 0;
  while (index < ops.length) {
    if (ops[index].kind === ' ') {
      index++;
      continue;
    }
    let hunkStart = Math.max(0, index - context);
    let hunkEnd = index;
    // Extend the hunk while changes are separated by at most 2*context unchanged lines.
    let k = index;
    while (k < ops.length) {
      if (ops[k].kind !== ' ') {
        hunkEnd = k + 1;
        k++;
        continue;
      }
      let run = 0;
      while (k + run < ops.length && ops[k + run].kind === ' ') run++;
      if (k + run >= ops.length || run > 2 * context) break;
      k += run;
    }
    const stop = Math.min(ops.length, hunkEnd + context);
    let lineA = 1;
    let lineB = 1;
    for (let x = 0; x < hunkStart; x++) {
      if (ops[x].kind !== '+') lineA++;
      if (ops[x].kind !== '-') lineB++;
    }
    const slice = ops.slice(hunkStart, stop);
    const countA = slice.filter((o) => o.kind !== '+').length;
    const countB = slice.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${countA === 0 ? lineA - 1 : lineA},${countA} +${countB === 0 ? lineB - 1 : lineB},${countB} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
    index = stop;
    hunkStart = stop;
  }
  return `${out.join('\n')}\n`;
}
