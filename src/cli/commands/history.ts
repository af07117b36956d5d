import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { COMMANDS } from '../command-table.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { processContext } from '../process-context.js';
import { age, renderTable, type ListedCluster } from './_cluster-table.js';
import { findCluster, requireClusterResource } from './_find-cluster.js';
import { managementClient } from './_management-client.js';

const exec = promisify(execFile);

interface Options {
  stage?: string;
  repo: string;
  output: 'table' | 'json' | 'yaml';
  kubeconfig?: string;
  context?: string;
}

/** One row of a cluster's history: a revision applied to it, or the one waiting. */
export interface HistoryRow {
  revision: string;
  /** `applied` (newest first; the first is `current`), or `waiting`: newer, not applied to this cluster. */
  state: 'current' | 'applied' | 'waiting';
  appliedAt?: string;
  /** The commit's subject and author, when the git repository at --repo has the commit. */
  subject?: string;
  author?: string;
}

/** The rows of a cluster's history, from its status: the waiting revision first, then what was applied, newest first. */
export function historyRows(status: ListedCluster['status']): HistoryRow[] {
  const rows: HistoryRow[] = [];
  if (status?.waitingRevision) rows.push({ revision: status.waitingRevision, state: 'waiting' });
  const applied = status?.history?.length ? status.history : status?.revision ? [{ revision: status.revision }] : [];
  applied.forEach((h, i) => rows.push({ revision: h.revision, state: i === 0 ? 'current' : 'applied', ...(h.appliedAt ? { appliedAt: h.appliedAt } : {}) }));
  return rows;
}

/** The subject and author of each commit `repo` has (one git call); commits it does not have are left out. */
async function commitsIn(repo: string, revisions: string[]): Promise<Map<string, { subject: string; author: string }>> {
  const out = new Map<string, { subject: string; author: string }>();
  if (revisions.length === 0) return out;
  try {
    const { stdout } = await exec('git', ['-C', repo, 'show', '-s', '--format=%H%x09%an%x09%s', '--ignore-missing', ...revisions], { maxBuffer: 4 * 1024 * 1024 });
    for (const line of stdout.split('\n')) {
      const [sha, author, ...subject] = line.split('\t');
      if (sha && author !== undefined) out.set(sha, { author, subject: subject.join('\t') });
    }
  } catch {
    // Not a git repository, or git missing: the rows go without subjects.
  }
  return out;
}

/** `clusterops history cluster NAME`: the revisions applied to one cluster, and the one waiting, with their commits. */
export function historyCommand(ctx: CommandContext = processContext): Command {
  return new Command('history')
    .description(COMMANDS.history.description)
    .argument('<resource>', 'cluster')
    .argument('<name>', 'name of the workload cluster')
    .option('--stage <stage>', 'the stage of the cluster, when the name is in several')
    .option('--repo <dir>', 'the git checkout whose log names each revision (subject, author)', '.')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'context of that kubeconfig to use')
    .action(async (resource: string, name: string, opts: Options) => {
      requireClusterResource(resource);
      if (!name) throw new UsageError('history cluster NAME: name the cluster');
      const client = await managementClient(opts, { maxRetries: 2 });
      try {
        const found = await findCluster(client, name, opts.stage);
        const rows = historyRows(found.status);
        const commits = await commitsIn(opts.repo, [...new Set(rows.map((r) => r.revision))]);
        for (const r of rows) Object.assign(r, commits.get(r.revision) ?? {});
        if (opts.output !== 'table') {
          const doc = { stage: found.metadata.namespace, name, history: rows };
          ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
        } else if (rows.length === 0) {
          ctx.stderr.write(`No revision applied to ${name} yet.\n`);
        } else {
          const now = Date.now();
          const table = rows.map((r) => [r.revision.slice(0, 12), r.state, r.appliedAt ? age(r.appliedAt, now) : '', r.author ?? '', r.subject ?? '']);
          ctx.stdout.write(renderTable(['REVISION', 'STATE', 'APPLIED', 'AUTHOR', 'SUBJECT'], table));
        }
        return ctx.exit(ExitCode.ok);
      } finally {
        client.close();
      }
    });
}
