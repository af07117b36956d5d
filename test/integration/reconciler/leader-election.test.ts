import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.js';
import { LeaderElector } from '../../../src/reconciler/leader-election.js';
import { silentLogger } from '../../../src/reconciler/logger.js';
import { getObject, suiteClient } from '../apply/_helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - t0;
}

describe('leader election on a coordination.k8s.io Lease', () => {
  let client: KubeClient;
  const namespace = `lease-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    client = await suiteClient();
  });
  afterAll(() => client.close());

  function replica(identity: string, name: string, log: string[]) {
    let active = 0;
    let maxActive = 0;
    const elector = new LeaderElector(client, {
      namespace,
      name,
      identity,
      leaseDurationMs: 3000,
      renewPeriodMs: 500,
      renewDeadlineMs: 2000,
      retryPeriodMs: 250,
      logger: silentLogger(),
      onStartedLeading: (signal) => {
        log.push(`${identity} start`);
        active++;
        maxActive = Math.max(maxActive, active);
        signal.addEventListener('abort', () => {
          active--;
          log.push(`${identity} stop`);
        });
      },
    });
    return { elector, active: () => active, maxActive: () => maxActive };
  }

  it('two replicas: exactly one leads; the other takes over within seconds when it stops', async () => {
    const log: string[] = [];
    const a = replica('replica-a', 'two-replicas', log);
    const b = replica('replica-b', 'two-replicas', log);
    a.elector.start();
    b.elector.start();
    await until(() => a.elector.isLeader || b.elector.isLeader, 10_000);
    // Several renew periods with both running: never both.
    for (let i = 0; i < 20; i++) {
      expect(Number(a.elector.isLeader) + Number(b.elector.isLeader)).toBe(1);
      await sleep(100);
    }
    const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
    const lease = await getObject(client, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/two-replicas`);
    expect(lease?.spec.holderIdentity).toBe(leader === a ? 'replica-a' : 'replica-b');

    await leader.elector.stop(); // releases the lease
    const took = await until(() => follower.elector.isLeader, 5_000);
    expect(took).toBeLessThan(2_000);
    expect(leader.elector.isLeader).toBe(false);
    await follower.elector.stop();
    expect(log.filter((l) => l.endsWith('start'))).toHaveLength(2);
  });

  it('a leader that dies without releasing is replaced after the lease duration', async () => {
    const log: string[] = [];
    const a = replica('dies', 'crash', log);
    a.elector.start();
    await until(() => a.elector.isLeader, 10_000);
    // Simulate a crash: stop renewing without releasing (no stop()).
    (a.elector as unknown as { stopped: boolean }).stopped = true;
    const b = replica('survivor', 'crash', log);
    const t0 = Date.now();
    b.elector.start();
    await until(() => b.elector.isLeader, 10_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(2_500); // not before the lease (3 s) ran out
    expect(took).toBeLessThan(6_000);
    await b.elector.stop();
  });
});
