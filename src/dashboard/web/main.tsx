// The dashboard's entry: one FleetStore on the one stream, and a page per hash route
// (`#/` the fleet, `#/cluster/NAMESPACE/NAME` one cluster).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ClusterPage } from './cluster-page.js';
import { FleetStore } from './fleet-store.js';
import { FleetTable } from './fleet-table.js';
import { useStore } from './use-store.js';

const store = new FleetStore();
store.connect();

function route(): { page: 'fleet' } | { page: 'cluster'; namespace: string; name: string } {
  const m = /^#\/cluster\/([^/]+)\/([^/]+)$/.exec(location.hash);
  return m ? { page: 'cluster', namespace: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) } : { page: 'fleet' };
}

function App() {
  const [where, setWhere] = useState(route());
  useStore(store);
  useEffect(() => {
    const on = () => {
      setWhere(route());
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          clusterops fleet
        </a>
        <span class={`connection ${store.connection}`} title="the live stream of the fleet">
          {store.connection === 'live' ? 'live' : store.connection}
        </span>
        <form method="post" action="/logout" class="logout">
          <button type="submit">Log out</button>
        </form>
      </header>
      <main>{where.page === 'cluster' ? <ClusterPage store={store} namespace={where.namespace} name={where.name} key={`${where.namespace}/${where.name}`} /> : <FleetTable store={store} />}</main>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the "loading" line of the shell
render(<App />, root);
