/**
 * The browser bundle of the dashboard (built by `npm run build` into dist/web/, see bundle.ts),
 * found from this module's place in the project, read once and served with an ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the bundle. */
export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The names served, to their content types. */
export const ASSET_TYPES = { 'dashboard.js': 'text/javascript; charset=utf-8', 'dashboard.css': 'text/css; charset=utf-8' } as const;
export type AssetName = keyof typeof ASSET_TYPES;

/** The project root: the nearest folder above this module with a package.json. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the project root (package.json) above the dashboard module');
    dir = up;
  }
  return dir;
}

/** The folder the bundle is built into. */
export function bundleDir(): string {
  return path.join(projectRoot(), 'dist', 'web');
}

/** Reads the bundle; throws a clear error when it was not built. */
export function loadAssets(dir = bundleDir()): Record<AssetName, Asset> {
  const out = {} as Record<AssetName, Asset>;
  for (const [name, contentType] of Object.entries(ASSET_TYPES) as Array<[AssetName, string]>) {
    const file = path.join(dir, name);
    if (!existsSync(file)) throw new Error(`the dashboard bundle is not built (${file} is missing): run npm run build`);
    const body = readFileSync(file);
    out[name] = { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
  }
  return out;
}
