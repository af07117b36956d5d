/**
 * The build of a revision (its src/ into dist/): a transpile with the revision's own TypeScript,
 * file by file, without type checking — type checking belongs in the revision's CI, and tsc took
 * minutes on a busy 2-core machine before anything was applied. It honours the revision's tsconfig
 * (target, module, rootDir, JSX and the like) and fails on syntax errors, naming file:line:column.
 * Run with `node -e TRANSPILE_SCRIPT <checkout> <outDir>` in the sandbox: the revision's typescript
 * package is the revision's code.
 */
export const TRANSPILE_SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const [root, outDir] = process.argv.slice(1);
const ts = require(path.join(root, 'node_modules', 'typescript'));
const read = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
if (read.error) { process.stdout.write(ts.flattenDiagnosticMessageText(read.error.messageText, '\n') + '\n'); process.exit(1); }
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
const rootDir = parsed.options.rootDir || root;
const nodeModules = [ts.ModuleKind.Node16, ts.ModuleKind.NodeNext].includes(parsed.options.module);
let packageType = 'commonjs';
try { packageType = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).type || 'commonjs'; } catch {}
const problems = [];
let count = 0;
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) { walk(file); continue; }
    if (!/\.(m|c)?tsx?$/.test(entry.name) || /\.d\.(m|c)?ts$/.test(entry.name) || /\.test\.(m|c)?tsx?$/.test(entry.name)) continue;
    // Node16/NodeNext pick ESM or CommonJS per file (extension, package.json type), as tsc does.
    const esm = /\.mtsx?$/.test(entry.name) || (!/\.ctsx?$/.test(entry.name) && packageType === 'module');
    const module = nodeModules ? (esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS) : parsed.options.module;
    const options = { ...parsed.options, module, noEmit: false, sourceMap: false, inlineSourceMap: false, declaration: false, composite: false, incremental: false };
    for (const key of ['outDir', 'outFile', 'tsBuildInfoFile', 'declarationDir']) delete options[key];
    if (nodeModules) options.moduleResolution = esm ? ts.ModuleResolutionKind.Bundler : ts.ModuleResolutionKind.Node10;
    const result = ts.transpileModule(fs.readFileSync(file, 'utf8'), { fileName: file, compilerOptions: options, reportDiagnostics: true });
    for (const d of result.diagnostics || []) {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      problems.push(path.relative(root, file) + (at ? ':' + (at.line + 1) + ':' + (at.character + 1) : '') + ': ' + ts.flattenDiagnosticMessageText(d.messageText, ' '));
    }
    const out = path.join(outDir, path.relative(rootDir, file)).replace(/\.(m|c)?tsx?$/, (m) => m.startsWith('.m') ? '.mjs' : m.startsWith('.c') ? '.cjs' : '.js');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, result.outputText);
    count++;
  }
};
walk(path.join(root, 'src'));
if (problems.length) { process.stdout.write(problems.slice(0, 50).join('\n') + '\n'); process.exit(1); }
process.stdout.write('transpiled ' + count + ' files\n');
`;
