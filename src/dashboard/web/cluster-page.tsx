// One cluster's page: why it fails (when it does), its conditions, the tree of its Cluster API
// objects (cluster-tree.tsx), what Cluster API reports, the last ChangeSet, add-ons, revisions (applied, waiting and what it would change, history), its declaration and its events.
// The object is fetched when the page opens and again whenever the stream says it changed; its
// events arrive on the stream.
import { useEffect, useState } from 'preact/hooks';
import type { ClusterEvent, ClusterObject, ClusterPage as Page, Replicas } from '../fleet-wire.js';
import { ClusterTree } from './cluster-tree.js';
import type { FleetStore } from './fleet-store.js';
import { age, phaseClass, short, when } from './format.js';
import { useNow, useStore } from './use-store.js';
import { WaitingChanges } from './waiting-changes.js';
import { Located, WhyFailing } from './why-failing.js';

const replicas = (r: Replicas | undefined) => (r ? `${r.ready ?? 0}/${r.desired ?? 0} ready${r.available !== undefined ? `, ${r.available} available` : ''}` : '-');

function Conditions({ cluster }: { cluster: ClusterObject }) {
  const conditions = cluster.status?.conditions ?? [];
  return (
    <section>
      <h2>Conditions</h2>
      <table class="conditions-table">
        <thead>
          <tr>
            <th>Type</th>
            <th>Status</th>
            <th>Reason</th>
            <th>Since</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {conditions.map((c) => (
            <tr key={c.type} data-condition={c.type}>
              <td>{c.type}</td>
              <td class={c.status === 'True' ? 'ok-text' : c.status === 'False' ? 'bad-text' : ''}>{c.status}</td>
              <td>{c.reason ?? ''}</td>
              <td>{when(c.lastTransitionTime)}</td>
              <td class="message-cell">
                <Located text={c.message ?? ''} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Facts({ rows }: { rows: Array<[string, preact.ComponentChildren]> }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{v}</dd>])}
    </dl>
  );
}

function Revisions({ cluster }: { cluster: ClusterObject }) {
  const s = cluster.status ?? {};
  const history = s.history ?? [];
  return (
    <section>
      <h2>Revisions</h2>
      <Facts
        rows={[
          ['applied', <code>{short(s.revision)}</code>],
          ['last tried', <code>{short(s.attemptedRevision)}</code>],
          ...(s.waitingRevision ? ([['waiting', <span class="bad-text"><code>{short(s.waitingRevision)}</code> not applied{cluster.spec?.suspend ? ' (suspended)' : ''}</span>]] as Array<[string, preact.ComponentChildren]>) : []),
          ['applied at', when(s.lastAppliedTime)],
          ['reconcile request handled', s.lastHandledReconcileAt ?? '-'],
        ]}
      />
      {history.length > 0 ? (
        <table class="history">
          <thead>
            <tr>
              <th>Revision</th>
              <th>Applied</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr key={`${h.revision}-${h.appliedAt}`}>
                <td>
                  <code>{short(h.revision)}</code>
                </td>
                <td>{when(h.appliedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Events({ events, now }: { events: ClusterEvent[]; now: number }) {
  return (
    <section>
      <h2>Events</h2>
      {events.length === 0 ? (
        <p class="empty">No events.</p>
      ) : (
        <table class="events">
          <thead>
            <tr>
              <th>Last seen</th>
              <th>Type</th>
              <th>Reason</th>
              <th>Count</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.name} class={e.type === 'Warning' ? 'warning' : ''}>
                <td>{age(e.lastTimestamp, now)}</td>
                <td>{e.type}</td>
                <td>{e.reason}</td>
                <td class="num">{e.count}</td>
                <td class="message-cell">
                  <Located text={e.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Events newest first, one per name (a repeated event is counted on its first, and replaces it). */
function merge(old: ClusterEvent[], added: ClusterEvent[]): ClusterEvent[] {
  const byName = new Map(old.map((e) => [e.name, e]));
  for (const e of added) byName.set(e.name, e);
  return [...byName.values()].sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? '')).slice(0, 50);
}

/** See the file comment. */
export function ClusterPage({ store, namespace, name }: { store: FleetStore; namespace: string; name: string }) {
  useStore(store);
  const now = useNow();
  const key = `${namespace}/${name}`;
  const resourceVersion = store.rows.get(key)?.resourceVersion;
  const [page, setPage] = useState<Page | undefined>();
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    let live = true;
    fetch(`/api/cluster?namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(name)}`).then(async (r) => {
      if (!live) return;
      if (r.status === 401) return location.assign('/login');
      if (r.status === 404) return setMissing(true);
      const next = (await r.json()) as Page;
      if (live) {
        setMissing(false);
        setPage((before) => (before && before.cluster.metadata.uid === next.cluster.metadata.uid ? { ...next, events: merge(before.events, next.events) } : next));
      }
    });
    return () => {
      live = false;
    };
  }, [namespace, name, resourceVersion]);
  useEffect(() => store.onEvents((events) => setPage((p) => (p ? { ...p, events: merge(p.events, events.filter((e) => e.cluster === key)) } : p))), [store, key]);

  if (missing) return <p class="empty">There is no WorkloadCluster {key}. <a href="#/">Back to the fleet</a></p>;
  if (!page) return <p class="loading">loading {key}…</p>;
  const c = page.cluster;
  const s = c.status ?? {};
  const spec = c.spec ?? {};
  const addonNames = Object.keys(spec.addons ?? {}).sort();
  const counts = s.lastChangeSet ?? {};
  return (
    <article class="cluster" data-cluster={key}>
      <nav>
        <a href="#/">← fleet</a>
      </nav>
      <header>
        <h1>
          {name} <span class="stage">{c.metadata.labels?.['clusterops.io/stage'] ?? namespace}</span>
        </h1>
        <span class={`phase big ${phaseClass(s.phase ?? 'Pending')}`}>{s.phase ?? 'Pending'}</span>
        {spec.suspend ? <span class="phase muted">suspended</span> : null}
      </header>
      <WhyFailing cluster={c} />
      <WaitingChanges cluster={c} />
      <Conditions cluster={c} />
      <ClusterTree namespace={namespace} name={name} resourceVersion={resourceVersion} />
      <div class="columns">
        <section>
          <h2>Cluster API</h2>
          <Facts
            rows={[
              ['phase', s.cluster?.phase ?? '-'],
              ['version', s.cluster?.version ?? '-'],
              ['control plane', replicas(s.cluster?.controlPlane)],
              ['workers', replicas(s.cluster?.workers)],
            ]}
          />
        </section>
        <section>
          <h2>Last ChangeSet</h2>
          {Object.keys(counts).length === 0 ? (
            <p class="empty">Nothing applied yet.</p>
          ) : (
            <Facts rows={['created', 'configured', 'unchanged', 'deleted', 'skipped', 'errors'].filter((k) => counts[k] !== undefined).map((k) => [k, String(counts[k])])} />
          )}
        </section>
        <section>
          <h2>Add-ons</h2>
          <p>
            {addonNames.length === 0 ? 'none declared' : addonNames.join(', ')}
            {s.addons ? ` — ${s.addons.ready}/${s.addons.total} objects ready` : ''}
          </p>
          {s.addons?.message ? <p class="message-cell">{s.addons.message}</p> : null}
        </section>
        <Revisions cluster={c} />
        <section>
          <h2>Declaration</h2>
          <Facts
            rows={[
              ['provider', `${spec.provider ?? '-'}${spec.region ? ` (${spec.region})` : ''}`],
              ['Kubernetes', spec.kubernetesVersion ?? '-'],
              ['control plane', `${spec.controlPlane?.replicas ?? '-'}${spec.controlPlane?.machineType ? ` × ${spec.controlPlane.machineType}` : ''}`],
              ['node pools', (spec.nodePools ?? []).map((p) => `${p.name}: ${p.autoscaling ? `${p.autoscaling.min}-${p.autoscaling.max}` : (p.replicas ?? 0)}${p.machineType ? ` × ${p.machineType}` : ''}`).join(', ') || 'none'],
              ['deletion protection', spec.deletionProtection ? 'on' : 'off'],
              ['created', `${when(c.metadata.creationTimestamp)} (${age(c.metadata.creationTimestamp, now)} ago)`],
            ]}
          />
        </section>
      </div>
      <Events events={page.events} now={now} />
    </article>
  );
}
