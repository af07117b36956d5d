import { readdirSync, readlinkSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { describeErrno, fileKind } from './_read-bounded.js';
import type { Problem } from './problem.js';

/** Thrown when the clusters folder itself cannot be read (a usage error, not a declaration problem). */
export class FleetDirError extends Error {}

/** A file to read: the path problems name (a symlink's own), and the real path it is read from. */
export interface FleetFile {
  file: string;
  read: string;
}

/** One stage folder: its optional stage file and its cluster files, in name order. */
export interface StageFiles {
  name: string;
  dir: string;
  stageFile?: FleetFile;
  clusterFiles: FleetFile[];
}

/** What `clusters/` holds: the files to read, by stage, and a problem for every entry that is not read. */
export interface FleetFiles {
  stages: StageFiles[];
  problems: Problem[];
}

const STAGE_FILES = ['stage.yaml', 'stage.yml'];
/** The file format: `.yaml`, or `.yml` read the same way; any other case of them is an error. */
const DECLARATION = /\.ya?ml$/;
const DECLARATION_ANY_CASE = /\.ya?ml$/i;
/** Documentation that may sit beside declarations and is not read. */
const DOCUMENTATION = /\.md$/i;

/**
 * Lists `root` by the file rules: hidden names (`.git`, `.keep`) are skipped; a stage is a real
 * folder; in it, `*.yaml` and `*.yml` are read, `*.md` is documentation; a symlink is followed
 * only to a regular file inside `root`. Every other entry (symlink out, FIFO, device, `.YAML`,
 * `notes.txt`, nested folder, unreadable folder) is a problem naming it, never a silent skip.
 */
export function listFleetFiles(root: string): FleetFiles {
  let realRoot: string;
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
    realRoot = realpathSync(root);
  } catch {
    throw new FleetDirError(`clusters folder "${root}" does not exist or is not a folder`);
  }
  const problems: Problem[] = [];
  const stages: StageFiles[] = [];
  const problem = (p: string, message: string) => problems.push({ file: showPath(p), line: 1, column: 1, path: '', message });
  for (const e of list(root, problem)) {
    const full = path.join(root, e.name);
    const kind = entryKind(e, full, realRoot);
    if ('problem' in kind) problem(full, kind.problem);
    else if (kind.folder && kind.symlink) problem(full, 'a symlink to a folder; a stage must be a real folder inside the clusters folder; not read');
    else if (kind.folder) stages.push(listStage(full, e.name, realRoot, problem));
    else if (DECLARATION_ANY_CASE.test(e.name)) problem(full, `declarations belong in a stage folder: ${showPath(root)}/<stage>/${e.name}`);
    else if (!DOCUMENTATION.test(e.name)) problem(full, notDeclaration);
  }
  return { stages, problems };
}

function listStage(dir: string, name: string, realRoot: string, problem: (p: string, m: string) => void): StageFiles {
  const stage: StageFiles = { name, dir, clusterFiles: [] };
  for (const e of list(dir, problem)) {
    const full = path.join(dir, e.name);
    const kind = entryKind(e, full, realRoot);
    if ('problem' in kind) problem(full, kind.problem);
    else if (kind.folder && kind.symlink) problem(full, 'a symlink to a folder, not to a file; not read');
    else if (kind.folder) problem(full, `nested folders are not read; a stage is one folder: move its files into ${showPath(dir)}/`);
    else if (STAGE_FILES.includes(e.name)) {
      if (stage.stageFile) problem(full, `a stage has one stage file; ${path.basename(stage.stageFile.file)} is read, remove this one`);
      else stage.stageFile = { file: full, read: kind.read };
    } else if (DECLARATION.test(e.name)) stage.clusterFiles.push({ file: full, read: kind.read });
    else if (DECLARATION_ANY_CASE.test(e.name)) {
      problem(full, `extension "${path.extname(e.name)}" is not read; declaration files end in lower-case .yaml (or .yml): rename it`);
    } else if (!DOCUMENTATION.test(e.name)) problem(full, notDeclaration);
  }
  return stage;
}

const notDeclaration = 'not a declaration file; declarations end in .yaml, documentation in .md, hidden files start with "."; move or rename it';

/** The visible entries of `dir` in name order; an unreadable folder is a problem. */
function list(dir: string, problem: (p: string, m: string) => void): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    problem(dir, `cannot be read: ${describeErrno(error)}`);
    return [];
  }
}

type EntryKind = { problem: string } | { folder: boolean; symlink: boolean; read: string };

/** A folder, a regular file to read (through a symlink: its real path inside the root), or why not. */
function entryKind(e: Dirent, full: string, realRoot: string): EntryKind {
  if (e.isDirectory()) return { folder: true, symlink: false, read: full };
  if (e.isFile()) return { folder: false, symlink: false, read: full };
  if (!e.isSymbolicLink()) return { problem: `${fileKind(e)}, not a regular file; not read` };
  let target = '?';
  try {
    target = readlinkSync(full);
    const real = realpathSync(full);
    const rel = path.relative(realRoot, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return { problem: `a symlink to ${target}, outside the clusters folder; not read (copy the file in instead)` };
    const st = statSync(real);
    if (st.isDirectory()) return { folder: true, symlink: true, read: real };
    if (!st.isFile()) return { problem: `a symlink to ${fileKind(st)}, not a regular file; not read` };
    return { folder: false, symlink: true, read: real };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: `a symlink to ${target}, which does not exist; not read` };
    if (code === 'ELOOP') return { problem: `a symlink loop (${target}); not read` };
    return { problem: `cannot be read: ${describeErrno(error)}` };
  }
}

/** `p` relative to the working folder when it is inside it, else as given: how problems name files. */
export function showPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
