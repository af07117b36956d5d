import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../../src/spec/load.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from './_fleet-dir.js';

/** A stage `s` with a valid cluster `a` in `s/a.yaml` and whatever `arrange` does to the folder. */
async function load(arrange: (root: string) => void) {
  const root = fleetDir({ 's/a.yaml': clusterYaml('a', DOCKER_SPEC), 'shared/b.yaml': clusterYaml('b', DOCKER_SPEC) });
  arrange(root);
  const { fleet, problems } = await loadFleet(root);
  const rel = (p: string) => (p.startsWith(root) ? p.slice(root.length + 1) : p);
  return {
    lines: problems.map((p) => formatProblem({ ...p, file: rel(p.file) })),
    clusters: fleet?.clusters.map((c) => `${c.stage}/${c.name}`),
  };
}

describe('no silent skips: every entry of clusters/ is read or named in an error', () => {
  it('a symlink to a regular file inside the clusters folder is read like the file', async () => {
    const r = await load((root) => symlinkSync('../shared/b.yaml', path.join(root, 's/b.yaml')));
    expect(r.lines).toEqual([]);
    expect(r.clusters).toEqual(['s/a', 's/b', 'shared/b']);
  });

  it('a symlink that leaves the clusters folder is an error naming it and its target', async () => {
    const outside = fleetDir({ 'c.yaml': clusterYaml('c', DOCKER_SPEC) });
    const r = await load((root) => symlinkSync(path.join(outside, 'c.yaml'), path.join(root, 's/c.yaml')));
    expect(r.lines).toEqual([`s/c.yaml:1:1: a symlink to ${path.join(outside, 'c.yaml')}, outside the clusters folder; not read (copy the file in instead)`]);
  });

  it('a symlink to /dev/zero is an error, never a read', async () => {
    const r = await load((root) => symlinkSync('/dev/zero', path.join(root, 's/zero.yaml')));
    expect(r.lines).toEqual(['s/zero.yaml:1:1: a symlink to /dev/zero, outside the clusters folder; not read (copy the file in instead)']);
  });

  it('a dangling symlink is an error', async () => {
    const r = await load((root) => symlinkSync('gone.yaml', path.join(root, 's/c.yaml')));
    expect(r.lines).toEqual(['s/c.yaml:1:1: a symlink to gone.yaml, which does not exist; not read']);
  });

  it('a cluster file replaced by a symlink to a folder is an error', async () => {
    const r = await load((root) => symlinkSync('../shared', path.join(root, 's/c.yaml')));
    expect(r.lines).toEqual(['s/c.yaml:1:1: a symlink to a folder, not to a file; not read']);
  });

  it('a FIFO is an error and does not block the run', async () => {
    const r = await load((root) => execFileSync('mkfifo', [path.join(root, 's/pipe.yaml')]));
    expect(r.lines).toEqual(['s/pipe.yaml:1:1: a FIFO (named pipe), not a regular file; not read']);
  });

  it('a symlinked stage folder is an error', async () => {
    const r = await load((root) => symlinkSync('shared', path.join(root, 'linked')));
    expect(r.lines).toEqual(['linked:1:1: a symlink to a folder; a stage must be a real folder inside the clusters folder; not read']);
  });

  it.each(['A.YAML', 'a.Yaml', 'a.YML'])('a cluster file renamed to %s is an error, not a skip', async (name) => {
    const r = await load((root) => renameSync(path.join(root, 's/a.yaml'), path.join(root, 's', name)));
    expect(r.lines).toEqual([`s/${name}:1:1: extension "${path.extname(name)}" is not read; declaration files end in lower-case .yaml (or .yml): rename it`]);
  });

  it('.yml is read the same way as .yaml', async () => {
    const r = await load((root) => renameSync(path.join(root, 's/a.yaml'), path.join(root, 's/a.yml')));
    expect(r.lines).toEqual([]);
    expect(r.clusters).toEqual(['s/a', 'shared/b']);
  });

  it('stage.yaml and stage.yml together are an error', async () => {
    const stage = 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n';
    const r = await load((root) => {
      writeFileSync(path.join(root, 's/stage.yaml'), stage);
      writeFileSync(path.join(root, 's/stage.yml'), stage);
    });
    expect(r.lines).toEqual(['s/stage.yml:1:1: a stage has one stage file; stage.yaml is read, remove this one']);
  });

  it('README.md and hidden files are allowed and not read; any other file is an error', async () => {
    const r = await load((root) => {
      writeFileSync(path.join(root, 'README.md'), '# fleet\n');
      writeFileSync(path.join(root, 's/README.md'), '# stage s\n');
      writeFileSync(path.join(root, 's/.keep'), '');
      mkdirSync(path.join(root, '.hidden'));
      writeFileSync(path.join(root, '.hidden/x.yaml'), 'junk: [');
      writeFileSync(path.join(root, 's/a.json'), '{}');
      writeFileSync(path.join(root, 's/a.yaml.orig'), '');
    });
    expect(r.lines).toEqual([
      's/a.json:1:1: not a declaration file; declarations end in .yaml, documentation in .md, hidden files start with "."; move or rename it',
      's/a.yaml.orig:1:1: not a declaration file; declarations end in .yaml, documentation in .md, hidden files start with "."; move or rename it',
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is an error naming it', async () => {
    const r = await load((root) => chmodSync(path.join(root, 's/a.yaml'), 0));
    expect(r.lines).toEqual(['s/a.yaml:1:1: cannot be read: permission denied (EACCES)']);
  });
});
