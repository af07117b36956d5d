// The layout of src/ reads as the data flow: each folder imports only folders below it (this
// table), so no folder imports back up the flow and there is no cycle between folders; and no two
// files import each other's values in a cycle (a shared type is fine: `import type` is erased).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** What each folder of src/ may import, besides itself; `.` is a file at the top of src/. */
const MAY_IMPORT: Record<string, string[]> = {
  model: [],
  imports: [],
  kube: ['model'],
  helm: ['model'],
  addons: ['model', 'helm'],
  spec: ['model', 'addons', 'helm'],
  charts: ['model', 'addons', 'spec', 'imports'],
  synth: ['model', 'addons', 'charts', 'spec', 'helm'],
  apply: ['model', 'kube'],
  controlplane: ['model', 'kube', 'apply'],
  localprovider: ['model', 'kube', 'controlplane'],
  pulumi: ['model'],
  dashboard: ['model', 'kube'],
  reconciler: ['model', 'kube', 'addons', 'apply', 'charts', 'spec', 'pulumi', 'dashboard', 'helm'],
  recovery: ['model', 'kube', 'spec', 'charts', 'synth', 'apply', 'controlplane', 'pulumi', 'reconciler'],
  cli: ['model', 'kube', 'addons', 'spec', 'charts', 'synth', 'apply', 'controlplane', 'reconciler', 'localprovider', 'pulumi', 'dashboard', 'recovery'],
  '.': ['model'],
};

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      out.push({ from: file, to: path.resolve(path.dirname(file), m[3]).replace(/\.js$/, '.ts'), typeOnly: m[2] !== undefined });
    }
    for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      out.push({ from: file, to: path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts'), typeOnly: false });
    }
  }
  return out;
}

const folderOf = (file: string) => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? '.' : rel[0];
};

describe('src/ layout', () => {
  it('every folder is in the table, and imports only the folders the table allows', () => {
    const wrong: string[] = [];
    for (const e of edges()) {
      const from = folderOf(e.from);
      const to = folderOf(e.to);
      if (!(from in MAY_IMPORT)) wrong.push(`${from}: not in the layout table`);
      else if (from !== to && !MAY_IMPORT[from].includes(to)) wrong.push(`${path.relative(SRC, e.from)} imports ${path.relative(SRC, e.to)} (${from} -> ${to})`);
    }
    expect([...new Set(wrong)]).toEqual([]);
  });

  it('the table itself has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycle = (folder: string, trail: string[]): string[] | undefined => {
      if (visiting.has(folder)) return [...trail, folder];
      if (done.has(folder)) return undefined;
      visiting.add(folder);
      for (const next of MAY_IMPORT[folder] ?? []) {
        const found = cycle(next, [...trail, folder]);
        if (found) return found;
      }
      visiting.delete(folder);
      done.add(folder);
      return undefined;
    };
    for (const folder of Object.keys(MAY_IMPORT)) expect(cycle(folder, [])).toBeUndefined();
  });

  it('no file-level cycle of value imports', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges()) if (!e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
