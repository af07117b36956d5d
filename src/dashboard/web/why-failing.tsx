// The panel at the top of a failing cluster's page: every condition that is False, with its
// message (file:line of an invalid declaration stands out), and the problems of its declaration.
import type { ComponentChildren } from 'preact';
import type { ClusterObject, Condition, Problem } from '../fleet-wire.js';
import { FAILING_PHASES, FILE_LINE } from './format.js';

/** A message with each `file.yaml:line[:column]` in it marked. */
export function Located({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(FILE_LINE)) {
    parts.push(text.slice(last, m.index));
    parts.push(<code class="where">{m[0]}</code>);
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  return <span class="located">{parts}</span>;
}

/** `file:line[:column]: field: message`, as `clusterops validate` prints a problem. */
export function problemLine(p: Problem): string {
  return `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** The False conditions, the Ready one last when it only repeats another's message. */
export function falseConditions(conditions: Condition[]): Condition[] {
  const failing = conditions.filter((c) => c.status === 'False');
  const others = failing.filter((c) => c.type !== 'Ready');
  const ready = failing.find((c) => c.type === 'Ready');
  const repeats = ready && others.some((c) => c.message === ready.message);
  return [...others, ...(ready && !repeats ? [ready] : [])];
}

/** See the file comment; renders nothing for a cluster with no False condition and no problem. */
export function WhyFailing({ cluster }: { cluster: ClusterObject }) {
  const status = cluster.status ?? {};
  const conditions = falseConditions(status.conditions ?? []);
  const problems = status.problems ?? [];
  if (conditions.length === 0 && problems.length === 0) return null;
  const failing = FAILING_PHASES.has(status.phase ?? '') || problems.length > 0;
  return (
    <section class={`why ${failing ? 'bad' : 'busy'}`} aria-label="why this cluster is failing">
      <h2>{failing ? 'Why this cluster is failing' : 'Why this cluster is not Ready yet'}</h2>
      {problems.length > 0 ? (
        <div class="problems">
          <h3>Its declaration was refused{status.waitingRevision ? ` (revision ${status.waitingRevision.slice(0, 7)} waits)` : ''}</h3>
          <ul>
            {problems.map((p) => (
              <li key={problemLine(p)}>
                <code class="where">
                  {p.file}:{p.line}
                  {p.column ? `:${p.column}` : ''}
                </code>{' '}
                {p.field ? <code>{p.field}</code> : null} {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <ul class="conditions">
        {conditions.map((c) => (
          <li key={c.type}>
            <strong>{c.type}</strong> <span class="reason">{c.reason}</span>
            <pre>
              <Located text={c.message ?? ''} />
            </pre>
          </li>
        ))}
      </ul>
    </section>
  );
}
