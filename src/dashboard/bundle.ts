/**
 * Builds the dashboard's browser bundle with esbuild: src/dashboard/web/main.tsx (preact) into
 * dist/web/dashboard.js, and its stylesheet into dist/web/dashboard.css, minified, no CDN, nothing
 * fetched at run time. `npm run build` runs it (node dist/src/dashboard/bundle.js) after tsc.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleDir } from './dashboard-assets.js';

/** Where the browser sources are: beside this module, or, run from dist/src/dashboard/, in the project's src/. */
const HERE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');
const DIST_SRC = `${path.sep}dist${path.sep}src${path.sep}`;
const WEB = HERE.includes(DIST_SRC) ? HERE.replace(DIST_SRC, `${path.sep}src${path.sep}`) : HERE;

/** Builds the bundle into `outDir`; returns its files and their sizes. */
export async function bundleDashboard(outDir = bundleDir(), sources = WEB): Promise<Array<{ file: string; bytes: number }>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { dashboard: path.join(sources, 'main.tsx'), 'dashboard-style': path.join(sources, 'dashboard.css') },
    outdir: outDir,
    entryNames: '[name]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const { rename } = await import('node:fs/promises');
  await rename(path.join(outDir, 'dashboard-style.css'), path.join(outDir, 'dashboard.css'));
  return Object.entries(result.metafile.outputs).map(([file, o]) => ({ file: file.replace('dashboard-style.css', 'dashboard.css'), bytes: o.bytes }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const { file, bytes } of await bundleDashboard()) process.stdout.write(`dashboard bundle: ${file} ${(bytes / 1024).toFixed(1)} KiB\n`);
}
