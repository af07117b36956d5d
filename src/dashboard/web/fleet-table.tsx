// The fleet page: counts by phase, filters (stage, team, phase, a search box) and one row per cluster,
// of which only those in view (and some around them) are drawn in a long table (row-window.ts).
import { memo } from 'preact/compat';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { FleetRow } from '../fleet-wire.js';
import type { FleetStore } from './fleet-store.js';
import { age, phaseClass, short } from './format.js';
import { rowWindow } from './row-window.js';
import { useNow, useStore } from './use-store.js';

/** What the filters hold; empty means any. */
interface Filters {
  stage: string;
  team: string;
  phase: string;
  search: string;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].filter(Boolean).sort();

/** Whether a row passes the filters; the search matches name, stage, provider, version, revision and message. */
export function matches(row: FleetRow, f: Filters): boolean {
  if (f.stage && row.stage !== f.stage) return false;
  if (f.team && !row.teams.includes(f.team)) return false;
  if (f.phase && row.phase !== f.phase) return false;
  if (!f.search) return true;
  const q = f.search.toLowerCase();
  return [row.name, row.stage, row.provider, row.version, row.revision, row.message, row.phase, ...row.teams].some((v) => v.toLowerCase().includes(q));
}

function Select(props: { label: string; value: string; options: string[]; onChange: (v: string) => void; name: string }) {
  return (
    <label class="filter">
      {props.label}
      <select name={props.name} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">all</option>
        {props.options.map((o) => (
          <option value={o} key={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

const Row = memo(function Row({ row, now }: { row: FleetRow; now: number }) {
  const href = `#/cluster/${encodeURIComponent(row.key.split('/')[0])}/${encodeURIComponent(row.name)}`;
  return (
    <tr data-key={row.key} data-phase={row.phase}>
      <td>{row.stage}</td>
      <td>
        <a href={href}>{row.name}</a>
      </td>
      <td>{row.provider}</td>
      <td>{row.version}</td>
      <td>
        <span class={`phase ${phaseClass(row.phase)}`}>{row.phase}</span>
      </td>
      <td class={row.ready === 'True' ? 'ok-text' : ''}>{row.ready}</td>
      <td class="num">{row.nodes}</td>
      <td class="num">{row.addons}</td>
      <td>
        <code>{short(row.revision)}</code>
      </td>
      <td class="num">{age(row.created, now)}</td>
      <td class="message" title={row.message}>
        {row.message}
      </td>
    </tr>
  );
});

/** Stands in for rows not drawn (a row needs a cell to have a height). */
function Spacer({ height }: { height: number }) {
  return (
    <tr class="spacer" aria-hidden="true">
      <td colSpan={11} style={{ height: `${height}px` }} />
    </tr>
  );
}

/** A first guess of a row's height in pixels, until one is drawn and measured. */
const ROW_HEIGHT_GUESS = 31;

/** Where the view is over `tbody`, kept up to date on scroll and resize (once per frame). */
function useView(tbody: { current: HTMLTableSectionElement | null }): { top: number; height: number } {
  const read = () => ({ top: tbody.current ? -tbody.current.getBoundingClientRect().top : 0, height: window.innerHeight });
  const [view, setView] = useState(read);
  useEffect(() => {
    let frame = 0;
    const on = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setView(read());
      });
    };
    window.addEventListener('scroll', on, { passive: true });
    window.addEventListener('resize', on);
    on();
    return () => {
      window.removeEventListener('scroll', on);
      window.removeEventListener('resize', on);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  return view;
}

/** See the file comment. */
export function FleetTable({ store }: { store: FleetStore }) {
  useStore(store);
  const now = useNow();
  const [filters, setFilters] = useState<Filters>({ stage: '', team: '', phase: '', search: '' });
  const set = (k: keyof Filters) => (v: string) => setFilters({ ...filters, [k]: v });
  const rows = store.rows;
  const all = useMemo(() => [...rows.values()].sort((a, b) => a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name)), [rows]);
  const shown = useMemo(() => all.filter((r) => matches(r, filters)), [all, filters]);
  const tbody = useRef<HTMLTableSectionElement>(null);
  const view = useView(tbody);
  const [rowHeight, setRowHeight] = useState(ROW_HEIGHT_GUESS);
  const { first, last } = rowWindow({ count: shown.length, rowHeight, top: view.top, height: view.height });
  useLayoutEffect(() => {
    const drawn = tbody.current?.querySelector('tr[data-key]');
    const h = drawn?.getBoundingClientRect().height;
    if (h && Math.abs(h - rowHeight) > 0.5) setRowHeight(h);
  });
  const phases = useMemo(() => {
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.phase, (counts.get(r.phase) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => a.localeCompare(b));
  }, [all]);
  if (!store.loaded) return <p class="loading">loading the fleet…</p>;
  return (
    <section class="fleet">
      <div class="counts">
        <strong>{all.length} clusters</strong>
        {phases.map(([phase, n]) => (
          <button type="button" key={phase} class={`phase ${phaseClass(phase)} ${filters.phase === phase ? 'chosen' : ''}`} onClick={() => set('phase')(filters.phase === phase ? '' : phase)}>
            {phase} {n}
          </button>
        ))}
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Select name="stage" label="Stage" value={filters.stage} options={sorted(all.map((r) => r.stage))} onChange={set('stage')} />
        <Select name="team" label="Team" value={filters.team} options={sorted(all.flatMap((r) => r.teams))} onChange={set('team')} />
        <Select name="phase" label="Phase" value={filters.phase} options={sorted(all.map((r) => r.phase))} onChange={set('phase')} />
        <input
          type="search"
          name="search"
          placeholder="Search name, revision, message…"
          value={filters.search}
          onInput={(e) => set('search')((e.target as HTMLInputElement).value)}
        />
        <span class="shown">{shown.length === all.length ? '' : `${shown.length} of ${all.length} shown`}</span>
      </form>
      <table class="clusters">
        <thead>
          <tr>
            <th>Stage</th>
            <th>Name</th>
            <th>Provider</th>
            <th>Version</th>
            <th>Phase</th>
            <th>Ready</th>
            <th>Nodes</th>
            <th>Add-ons</th>
            <th>Revision</th>
            <th>Age</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody ref={tbody} data-rows={shown.length} data-drawn={`${first}-${last}`}>
          {first > 0 ? <Spacer height={first * rowHeight} /> : null}
          {shown.slice(first, last).map((row) => (
            <Row row={row} now={now} key={row.key} />
          ))}
          {last < shown.length ? <Spacer height={(shown.length - last) * rowHeight} /> : null}
        </tbody>
      </table>
      {shown.length === 0 ? <p class="empty">{all.length === 0 ? 'No WorkloadClusters in the management cluster yet.' : 'No cluster matches the filters.'}</p> : null}
    </section>
  );
}
