/**
 * The scratch repository of a drill: this project's own code (what the reconciler synthesizes a
 * revision with) and a fleet of `local` clusters under clusters/, committed once. The sources are
 * transpiled into dist/ and committed with them (type-only, as esbuild would), so the reconciler's
 * first synth does not type-check the whole project; node_modules is linked, never committed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The parts of the project a revision needs to synthesize. */
const PROJECT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];
const PROJECT_DIRS = ['bin', 'tools', 'src'];

/** A stage of the generated fleet: its name, whether its clusters are protected, how many. */
export interface DrillStage {
  name: string;
  protected: boolean;
  clusters: number;
}

/** The generated fleet of `count` clusters: one protected in `production`, the rest in `staging`; pure. */
export function drillStages(count: number): DrillStage[] {
  return [
    { name: 'production', protected: true, clusters: 1 },
    ...(count > 1 ? [{ name: 'staging', protected: false, clusters: count - 1 }] : []),
  ];
}

/** The files (`<stage>/...` → YAML) of the generated fleet: local clusters, one worker each, two add-ons; pure. */
export function drillFleetFiles(stages: readonly DrillStage[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const stage of stages) {
    files[`${stage.name}/stage.yaml`] = [
      'apiVersion: clusterops.io/v1alpha1',
      'kind: Stage',
      `metadata: {name: ${stage.name}}`,
      'spec:',
      '  defaults:',
      '    kubernetesVersion: v1.36.3',
      `    deletionProtection: ${stage.protected}`,
      '    addons:',
      '      priority-classes: {}',
      '',
    ].join('\n');
    for (let i = 1; i <= stage.clusters; i++) {
      const name = `${stage.name === 'production' ? 'prod' : 'stg'}-${String(i).padStart(2, '0')}`;
      files[`${stage.name}/${name}.yaml`] = [
        'apiVersion: clusterops.io/v1alpha1',
        'kind: WorkloadCluster',
        'metadata:',
        `  name: ${name}`,
        '  labels: {team: platform}',
        'spec:',
        '  provider: local',
        '  controlPlane: {replicas: 1}',
        '  nodePools:',
        '    - {name: general, replicas: 1}',
        '  network: {podCIDRs: [10.244.0.0/16], serviceCIDRs: [10.96.0.0/12]}',
        '  addons:',
        '    team-namespaces:',
        '      teams:',
        '        - name: shop',
        '          admins: [{group: shop-admins}]',
        '',
      ].join('\n');
    }
  }
  return files;
}

/** Transpiles every `.ts` under `from` (tests and declarations left out) into `.js` under `to`, without type checking. */
export function transpileTree(from: string, to: string): void {
  const walk = (dir: string, out: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const source = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(source, path.join(out, entry.name));
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
          fileName: source,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
        });
        mkdirSync(out, { recursive: true });
        writeFileSync(path.join(out, entry.name.replace(/\.ts$/, '.js')), outputText);
      }
    }
  };
  walk(from, to);
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'clusterops drill', GIT_AUTHOR_EMAIL: 'drill@clusterops.invalid', GIT_COMMITTER_NAME: 'clusterops drill', GIT_COMMITTER_EMAIL: 'drill@clusterops.invalid' },
  }).trim();

/** Makes the scratch repository in `dir` (branch main) from the project at `projectDir` and the fleet files; returns the commit. */
export function makeDrillRepo(dir: string, projectDir: string, fleet: Record<string, string>): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of PROJECT_FILES) cpSync(path.join(projectDir, file), path.join(dir, file));
  for (const sub of PROJECT_DIRS) cpSync(path.join(projectDir, sub), path.join(dir, sub), { recursive: true, filter: (s) => !s.endsWith('.test.ts') });
  transpileTree(path.join(projectDir, 'src'), path.join(dir, 'dist', 'src'));
  const web = path.join(projectDir, 'dist', 'web');
  if (existsSync(web)) cpSync(web, path.join(dir, 'dist', 'web'), { recursive: true });
  symlinkSync(path.join(projectDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules\n');
  for (const [rel, content] of Object.entries(fleet)) {
    mkdirSync(path.dirname(path.join(dir, 'clusters', rel)), { recursive: true });
    writeFileSync(path.join(dir, 'clusters', rel), content);
  }
  git(dir, 'init', '--quiet', '--initial-branch', 'main');
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--message', 'drill: the fleet and the code that synthesizes it');
  return git(dir, 'rev-parse', 'HEAD');
}

/** The fleet files of a clusters folder (`<stage>/<file>.yaml`), for a drill of a user's own local fleet. */
export function readFleetDir(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const stage of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const file of readdirSync(path.join(dir, stage.name)).filter((f) => /\.ya?ml$/.test(f))) {
      files[`${stage.name}/${file}`] = readFileSync(path.join(dir, stage.name, file), 'utf8');
    }
  }
  return files;
}
