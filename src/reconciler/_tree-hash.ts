import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** SHA-256 of `parts`, each followed by a NUL (so that no two lists of parts hash alike). */
export function sha256(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** `path sha256` of every regular file under `root`, sorted: the identity of a source tree. */
export async function hashTree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await hashTree(root, p)));
    else if (e.isFile()) out.push(`${p} ${sha256(await readFile(path.join(root, p)))}`);
  }
  return out;
}
