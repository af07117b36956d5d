// The informer against a real API server: a watch started before its CRD exists (the dashboard
// starts before the reconciler's first apply installs the WorkloadCluster CRD) keeps looking for the
// collection every second instead of backing off towards 30 s, and lists it once it is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeError, type KubeClient } from '../../../src/kube/client.js';
import { Informer, type WatchedObject } from '../../../src/kube/watch.js';
import { suiteClient, unique } from '../apply/_helpers.js';
import { waitFor } from '../_wait-for.js';

describe('Informer', () => {
  let client: KubeClient;
  const group = `${unique('w')}.informer.clusterops.test`;
  const crdName = `widgets.${group}`;

  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(async () => {
    await client.request({ verb: 'delete', method: 'DELETE', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}` }).catch(() => undefined);
    client.close();
  });

  it('retries a collection that is not served yet every second, and lists it as soon as its CRD is established', async () => {
    const waits: number[] = [];
    const added: string[] = [];
    let failures = 0;
    const enoughFailures = new Promise<void>((resolve) => {
      const informer = new Informer<WatchedObject>({
        client,
        path: `/apis/${group}/v1/widgets`,
        onEvent: (e) => e.type === 'ADDED' && added.push(e.object.metadata.name),
        onError: (error, retryInMs) => {
          expect(error).toBeInstanceOf(KubeError);
          expect((error as KubeError).status).toBe(404);
          waits.push(retryInMs);
          if (++failures === 6) resolve();
        },
      });
      informer.start();
      afterAll(() => informer.stop());
      void informer.hasSynced.then(() => added.push('(synced)'));
    });
    await enoughFailures;
    // Six failures in a row: an exponential backoff would wait 16 s by now.
    expect(waits).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    await client.request({
      verb: 'create',
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      },
    });
    await waitFor('the Widget CRD established and a Widget created', async () => {
      try {
        await client.request({ verb: 'create', method: 'POST', path: `/apis/${group}/v1/namespaces/default/widgets`, body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'first' } } });
        return true;
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) return false;
        throw error;
      }
    });
    await waitFor('the informer to list the new collection and see the Widget', async () => added.includes('first') && added.includes('(synced)'));
  });
});
