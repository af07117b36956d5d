// Module hooks that let a plain `node` child process run this repository's TypeScript sources
// (used by integration tests that need a separate owner process). Type-only transpilation, no checks.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

/** Maps `./x.js` to `./x.ts` when only the TypeScript source exists. */
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error;
    return next(specifier.slice(0, -3) + '.ts', context);
  }
}

/** Transpiles `.ts` files to ES modules. */
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
