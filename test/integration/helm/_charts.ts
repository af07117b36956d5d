// The catalog's real charts for tests, vendored once per test process by tools/vendor-charts.sh out
// of the Go module cache into charts/<name>/<version>/ of a folder, as a platform team keeps them
// in git. Tests copy what they need into their own repositories.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../reconciler/_project-repo.js';

let vendored: string | undefined;

/** A folder holding charts/ with cert-manager (both versions of tools/versions.env), metrics-server, kyverno and cilium. */
export function vendoredCharts(): string {
  if (vendored) return vendored;
  const dir = mkdtempSync(path.join(tmpdir(), 'clusterops-charts-'));
  const script = path.join(PROJECT_ROOT, 'tools', 'vendor-charts.sh');
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` };
  execFileSync('bash', [script, dir], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const previous = /^CERT_MANAGER_PREVIOUS_VERSION=(\S+)$/m.exec(execFileSync('cat', [path.join(PROJECT_ROOT, 'tools', 'versions.env')], { encoding: 'utf8' }))![1]!;
  execFileSync('bash', [script, dir, `cert-manager@${previous}`], { stdio: ['ignore', 'ignore', 'inherit'], env });
  vendored = dir;
  return dir;
}

/** Copies charts/<name>/<version> of the vendored charts into `repo`. */
export function vendorInto(repo: string, ...charts: string[]): void {
  for (const chart of charts) cpSync(path.join(vendoredCharts(), 'charts', chart), path.join(repo, 'charts', chart), { recursive: true });
}
