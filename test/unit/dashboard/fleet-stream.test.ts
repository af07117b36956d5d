// The SSE stream over a real HTTP connection: the snapshot first, then changes coalesced into one
// message per flush (the last state of a row wins; a removal after an upsert is a removal).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetStream } from '../../../src/dashboard/fleet-stream.js';
import type { FleetChange, FleetView } from '../../../src/dashboard/fleet-view.js';
import type { FleetRow } from '../../../src/dashboard/fleet-wire.js';

const row = (name: string, phase: string): FleetRow => ({ key: `dev/${name}`, stage: 'dev', name, provider: 'local', version: 'v1.36.3', phase, ready: 'False', nodes: '-/1', addons: '-', revision: '', message: '', teams: [], resourceVersion: phase });

/** A source of changes standing where the watches are. */
function source(rows: FleetRow[]) {
  const listeners = new Set<(c: FleetChange) => void>();
  const view = { hasSynced: Promise.resolve(), rows: () => rows, subscribe: (l: (c: FleetChange) => void) => (listeners.add(l), () => listeners.delete(l)) };
  return { view: view as unknown as FleetView, tell: (c: FleetChange) => listeners.forEach((l) => l(c)) };
}

let close: () => void = () => undefined;
afterEach(() => close());

describe('FleetStream', () => {
  it('sends a snapshot, then one coalesced changes message', async () => {
    const { view, tell } = source([row('web', 'Ready')]);
    const stream = new FleetStream(view);
    const server = http.createServer((req, res) => void stream.attach(req, res)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    close = () => {
      stream.close();
      server.closeAllConnections();
      server.close();
    };
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: snapshot\ndata: .*\n\n/);
    expect(JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]).clusters.map((r: FleetRow) => r.key)).toEqual(['dev/web']);
    tell({ type: 'upsert', row: row('web', 'Provisioning') });
    tell({ type: 'upsert', row: row('web', 'Degraded') });
    tell({ type: 'upsert', row: row('jobs', 'Pending') });
    tell({ type: 'remove', key: 'dev/jobs' });
    tell({ type: 'event', event: { cluster: 'dev/web', name: 'web.1', type: 'Warning', reason: 'Failed', message: 'x', count: 1 } });
    await until(/event: changes\ndata: .*\n\n/);
    const frames = [...text.matchAll(/event: changes\ndata: (.*)\n/g)];
    expect(frames).toHaveLength(1);
    const changes = JSON.parse(frames[0][1]);
    expect(changes.upserts.map((r: FleetRow) => [r.key, r.phase])).toEqual([['dev/web', 'Degraded']]);
    expect(changes.removes).toEqual(['dev/jobs']);
    expect(changes.events.map((e: { name: string }) => e.name)).toEqual(['web.1']);
    await reader.cancel();
  });
});
