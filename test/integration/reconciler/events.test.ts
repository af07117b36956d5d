// Events about WorkloadClusters on the real API server: attached by uid, and a repeat within the
// window counted on the first event (count, lastTimestamp), as the kubelet aggregates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { EventRecorder } from '../../../src/reconciler/events.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { suiteClient, unique } from '../apply/_helpers.js';

type Event = { metadata: { name: string }; count: number; reason: string; message: string; firstTimestamp: string; lastTimestamp: string; involvedObject: { uid?: string; name: string } };

let client: KubeClient;
const ns = unique('events');

async function events(): Promise<Event[]> {
  return (await client.request<{ items: Event[] }>({ verb: 'list', method: 'GET', path: `/api/v1/namespaces/${ns}/events` })).body.items;
}

beforeAll(async () => {
  client = await suiteClient();
  await client.request({ verb: 'create', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
});

afterAll(async () => {
  await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
  client.close();
});

describe('EventRecorder', () => {
  it('counts a repeated event on the first one and keeps different ones apart', async () => {
    const recorder = new EventRecorder(client, silentLogger());
    const subject = { namespace: ns, name: 'web', uid: '0f6d3c1e-0000-4000-8000-000000000001' };
    await recorder.record(subject, 'failed', 'apply failed: conflict');
    await recorder.record(subject, 'failed', 'apply failed: conflict');
    await recorder.record(subject, 'failed', 'apply failed: conflict');
    await recorder.record(subject, 'recovered', 'applies again');
    const listed = await events();
    expect(listed.map((e) => [e.reason, e.count, e.involvedObject.uid])).toEqual(
      expect.arrayContaining([
        ['Failed', 3, subject.uid],
        ['Recovered', 1, subject.uid],
      ]),
    );
    expect(listed).toHaveLength(2);
    const failed = listed.find((e) => e.reason === 'Failed')!;
    expect(Date.parse(failed.lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(failed.firstTimestamp));
  });

  it('records anew when the event it would count on is gone', async () => {
    const recorder = new EventRecorder(client, silentLogger());
    const subject = { namespace: ns, name: 'jobs' };
    await recorder.record(subject, 'skipped', 'kept: deletion protection');
    const first = (await events()).find((e) => e.involvedObject.name === 'jobs')!;
    await client.request({ verb: 'delete', method: 'DELETE', path: `/api/v1/namespaces/${ns}/events/${first.metadata.name}` });
    await recorder.record(subject, 'skipped', 'kept: deletion protection');
    const again = (await events()).filter((e) => e.involvedObject.name === 'jobs');
    expect(again.map((e) => e.count)).toEqual([1]);
    expect(again[0].metadata.name).not.toBe(first.metadata.name);
  });
});
