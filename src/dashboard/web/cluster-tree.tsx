// The Cluster API objects under one cluster as an indented tree, as `clusterops describe cluster`
// prints them: each object's kind/name, the condition that says whether it works (Ready or
// Available) with its reason and message, and its facts (replicas, version, node). Read from
// /api/cluster/tree when the page opens and again when the stream moves the cluster's
// resourceVersion (the server keeps answers briefly, so this is no polling).
import { useEffect, useState } from 'preact/hooks';
import type { ClusterTreeAnswer, ClusterTreeNode } from '../fleet-wire.js';

type Loaded = { answer: ClusterTreeAnswer } | { error: string };

function Node({ node }: { node: ClusterTreeNode }) {
  const c = node.condition;
  const state = !c ? 'muted' : c.status === 'True' ? 'ok' : c.status === 'False' ? 'bad' : 'busy';
  return (
    <li data-kind={node.kind} data-name={node.name}>
      <span class="object">
        {node.kind}/{node.name}
      </span>{' '}
      <span class={`phase ${state}`} data-condition={node.conditionType}>
        {c ? `${node.conditionType}=${c.status}` : `${node.conditionType}: not reported`}
      </span>
      {c && c.status !== 'True' && c.reason ? <span class="reason"> {c.reason}</span> : null}
      {node.facts.length ? <span class="facts"> {node.facts.join(', ')}</span> : null}
      {c?.message ? <div class="message-cell tree-message">{c.message}</div> : null}
      {node.children.length ? (
        <ul>
          {node.children.map((child) => (
            <Node node={child} key={`${child.kind}/${child.name}`} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** See the file comment; `resourceVersion` is the cluster's, as the stream last told it. */
export function ClusterTree({ namespace, name, resourceVersion }: { namespace: string; name: string; resourceVersion: string | undefined }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  useEffect(() => {
    let live = true;
    fetch(`/api/cluster/tree?namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(name)}`)
      .then(async (r) => {
        if (!live) return;
        if (r.status === 401) return location.assign('/login');
        const body = (await r.json()) as ClusterTreeAnswer | { error: string };
        if (live) setLoaded(r.ok ? { answer: body as ClusterTreeAnswer } : { error: (body as { error: string }).error });
      })
      .catch((error: unknown) => live && setLoaded({ error: String(error) }));
    return () => {
      live = false;
    };
  }, [namespace, name, resourceVersion]);

  return (
    <section class="cluster-tree">
      <h2>Cluster API objects</h2>
      {!loaded ? (
        <p class="loading">reading the Cluster API objects…</p>
      ) : 'error' in loaded ? (
        <p class="bad-text">{loaded.error}</p>
      ) : loaded.answer.tree ? (
        <ul class="tree">
          <Node node={loaded.answer.tree} />
        </ul>
      ) : (
        <p class="empty">No Cluster yet (not applied yet, or deleted).</p>
      )}
    </section>
  );
}
