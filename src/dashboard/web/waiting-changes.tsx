// What the revision that waits would change on a suspended cluster if it were resumed, object by
// object and field by field, as the reconciler lists it in status.waitingChanges.
import type { ClusterObject, WaitingChange } from '../fleet-wire.js';
import { short } from './format.js';

const SIGN: Record<WaitingChange['action'], string> = { created: '+', changed: '~', deleted: '-' };

function Change({ change }: { change: WaitingChange }) {
  const id = `${change.kind} ${change.namespace ? `${change.namespace}/` : ''}${change.name}`;
  return (
    <li class={`change ${change.action}`} data-change={`${change.action} ${change.kind}/${change.name}`}>
      <span class="sign">{SIGN[change.action]}</span> <code>{id}</code> <span class="muted">{change.action}{change.where === 'addons' ? ', in the workload cluster' : ''}</span>
      {change.fields?.length ? (
        <table class="fields">
          <tbody>
            {change.fields.map((f) => (
              <tr key={f.path}>
                <td>
                  <code>{f.path}</code>
                </td>
                <td class="from">{f.from ?? '(unset)'}</td>
                <td>→</td>
                <td class="to">{f.to ?? '(unset)'}</td>
              </tr>
            ))}
            {change.moreFields ? (
              <tr>
                <td colSpan={4} class="muted">
                  and {change.moreFields} more field{change.moreFields > 1 ? 's' : ''}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
    </li>
  );
}

const suspended = (c: ClusterObject) => !!c.spec?.suspend || c.metadata.annotations?.['clusterops.io/suspend'] === 'true' || c.status?.phase === 'Suspended';

/** The diff of the waiting revision; nothing when none waits or it changes nothing listed. */
export function WaitingChanges({ cluster }: { cluster: ClusterObject }) {
  const s = cluster.status ?? {};
  const changes = s.waitingChanges ?? [];
  if (!s.waitingRevision || changes.length === 0) return null;
  return (
    <section class="waiting-changes">
      <h2>
        Waiting: revision <code>{short(s.waitingRevision)}</code> would change
      </h2>
      <p class="muted">
        {suspended(cluster) ? 'Reconciling is suspended; resuming applies this.' : 'Not applied to this cluster yet.'} Compared with what is applied, offline.
      </p>
      <ul class="changes">
        {changes.map((c) => (
          <Change key={`${c.where}/${c.kind}/${c.namespace ?? ''}/${c.name}`} change={c} />
        ))}
      </ul>
      {s.waitingChangesMore ? <p class="muted">and {s.waitingChangesMore} more object{s.waitingChangesMore > 1 ? 's' : ''}</p> : null}
    </section>
  );
}
