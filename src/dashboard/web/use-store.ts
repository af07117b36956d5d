// The hook that re-renders a component when the fleet store changes.
import { useEffect, useState } from 'preact/hooks';
import type { FleetStore } from './fleet-store.js';

/** The store's version: a component that reads it re-renders on every change. */
export function useStore(store: FleetStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return version;
}

/** The current time, moving every `everyMs` (for ages). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
