import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingKindsError } from '../../../src/apply/errors.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { PRUNE_ANNOTATION } from '../../../src/model/manifest-set.js';
import { configMap, getObject, manager, manifestSet, namespace, suiteClient, unique } from './_helpers.js';

describe('apply faults', () => {
  let client: KubeClient;
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => client.close());

  it('a conflict with another field manager is a clear error, and is forced only when asked', async () => {
    const rm = manager(client);
    const ns = unique('conflict');
    await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'shared', { mine: '1', theirs: 'x' })]));
    // Another tool takes over `theirs` with its own server-side apply.
    await client.request({
      verb: 'apply',
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/shared`,
      query: { fieldManager: 'other-tool', force: 'true' },
      contentType: 'application/apply-patch+yaml',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: ns }, data: { theirs: 'y' } },
    });
    const desired = manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'shared', { mine: '1', theirs: 'z' })]);
    const cs = await rm.apply(desired);
    expect(cs.errors).toHaveLength(1);
    expect(cs.errors[0].message).toMatch(/ConfigMap\/.*\/shared: conflict with another field manager: "other-tool".* on \.data\.theirs.*--force-conflicts/);
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/shared`))?.data.theirs).toBe('y');

    const forced = await rm.apply(desired, { force: true });
    expect(forced.errors).toEqual([]);
    expect(forced.entries.find((e) => e.name === 'shared')?.action).toBe('configured');
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/shared`))?.data.theirs).toBe('z');
  });

  it('an immutable field change is a clear error; --force-replace recreates, never a protected object', async () => {
    const rm = manager(client);
    const ns = unique('immutable');
    const frozen = (v: string, annotations?: Record<string, string>) => ({ ...configMap(ns, 'frozen', { v }, annotations), immutable: true });
    await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('1')]));
    const before = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/frozen`);

    const cs = await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('2')]));
    expect(cs.errors).toHaveLength(1);
    expect(cs.errors[0].message).toMatch(/ConfigMap\/.*\/frozen: cannot change immutable field\(s\) .*--force-replace/);
    const still = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/frozen`);
    expect(still?.metadata.uid).toBe(before?.metadata.uid);
    expect(still?.data).toEqual({ v: '1' });

    const dry = await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('2')]), { forceReplace: true, dryRun: true });
    expect(dry.entries.find((e) => e.name === 'frozen')).toMatchObject({ action: 'configured', reason: 'replaced' });
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/frozen`))?.metadata.uid).toBe(before?.metadata.uid);

    const replaced = await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('2')]), { forceReplace: true });
    expect(replaced.errors).toEqual([]);
    expect(replaced.entries.find((e) => e.name === 'frozen')).toMatchObject({ action: 'configured', reason: 'replaced' });
    const after = await getObject(client, `/api/v1/namespaces/${ns}/configmaps/frozen`);
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(after?.data).toEqual({ v: '2' });

    // A protected object is never deleted, not even to replace it.
    await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('2', { [PRUNE_ANNOTATION]: 'disabled' })]), { forceReplace: true });
    const guarded = await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), frozen('3', { [PRUNE_ANNOTATION]: 'disabled' })]), { forceReplace: true });
    expect(guarded.errors.map((e) => e.message).join('\n')).toMatch(/protected \(clusterops.io\/prune: disabled\); not replaced/);
    expect((await getObject(client, `/api/v1/namespaces/${ns}/configmaps/frozen`))?.data).toEqual({ v: '2' });
  });

  it('a kind the server does not serve fails the set before anything is written', async () => {
    const rm = manager(client);
    const ns = unique('missing');
    const gadget = { apiVersion: 'gadgets.example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: ns }, spec: {} };
    client.counter.reset();
    const error = await rm.apply(manifestSet(`test.${ns}`, [namespace(ns), configMap(ns, 'a', { k: '1' }), gadget])).catch((e: Error) => e);
    expect(error).toBeInstanceOf(MissingKindsError);
    expect((error as Error).message).toMatch(/does not serve gadgets\.example\.com\/v1\/Gadget \(is the CustomResourceDefinition installed\?\); nothing was applied/);
    expect(client.counter.writes).toBe(0);
    expect(await getObject(client, `/api/v1/namespaces/${ns}`)).toBeUndefined();
  });
});
