import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDeclarations } from '../../../src/reconciler/declarations.js';
import { clusterYaml, DOCKER_SPEC, fleetDir } from '../spec/_fleet-dir.js';

const FROM_SOURCES = ['--import', fileURLToPath(new URL('../../integration/_ts-register.mjs', import.meta.url))];

describe('readDeclarations: what the reconciler mirrors, read with the loader bounds', () => {
  it('returns each WorkloadCluster as written', async () => {
    const root = fleetDir({ 's/a.yaml': clusterYaml('a', DOCKER_SPEC), 's/stage.yaml': 'apiVersion: clusterops.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n' });
    const got = await readDeclarations(root, { execArgv: FROM_SOURCES });
    expect(got.map((d) => [d.stage, d.name, d.spec.provider])).toEqual([['s', 'a', 'docker']]);
  });

  it('rejects a revision whose cluster file is a symlink to /dev/zero (it used to read it: 666 MB)', async () => {
    const root = fleetDir({ 's/a.yaml': clusterYaml('a', DOCKER_SPEC) });
    symlinkSync('/dev/zero', path.join(root, 's/b.yaml'));
    await expect(readDeclarations(root, { execArgv: FROM_SOURCES })).rejects.toThrow(/declarations cannot be read: .*s\/b\.yaml:1:1: a symlink to \/dev\/zero, outside the clusters folder/);
  });

  it('rejects a revision with a cluster file renamed to .YAML (it used to be skipped, then pruned)', async () => {
    const root = fleetDir({ 's/a.yaml': clusterYaml('a', DOCKER_SPEC), 's/b.YAML': clusterYaml('b', DOCKER_SPEC) });
    await expect(readDeclarations(root, { execArgv: FROM_SOURCES })).rejects.toThrow(/s\/b\.YAML:1:1: extension ".YAML" is not read/);
  });
});
