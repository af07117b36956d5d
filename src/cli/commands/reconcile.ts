import { Command, Option } from 'commander';
import type { LogFormat } from '../../reconciler/log-format.js';
import { createLogger } from '../../reconciler/logger.js';
import { Redactor } from '../../reconciler/redact.js';
import { parseDuration, reconcileOnce, startReconcilerProcess } from '../../reconciler/reconciler-process.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { requireClusterResource } from './_find-cluster.js';
import { managementClient } from './_management-client.js';
import { reconcileOptions, type ReconcileFlags } from './_reconcile-flags.js';
import { requestReconcile } from './_reconcile-request.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';


/** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `clusterops reconcile`: the management-cluster reconciler, following one branch of a git repository. */
export function reconcileCommand(ctx: CommandContext = processContext): Command {
  return new Command('reconcile')
    .description(COMMANDS.reconcile.description)
    .argument('[resource]', 'with a name: ask the running reconciler to reconcile one cluster now (`reconcile cluster NAME`)')
    .argument('[name]', 'name of the workload cluster')
    .option('--repo <url>', 'git repository URL (file://, https://, ssh); required to run the reconciler')
    .option('--branch <name>', "branch to follow (default: the remote's default branch)")
    .option('--kubeconfig <file>', 'kubeconfig of the management cluster (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('--once', 'fetch, apply and prune once, then exit (1 when anything failed)')
    .option('--interval <duration>', 'how often to fetch', '30s')
    .option('--drift-interval <duration>', 'how often to re-check every object for changes made by hand (default: --interval)')
    .option('--listen <addr>', 'address of /hooks/git, /healthz, /readyz, /metrics and the dashboard (/)', ':8080')
    .option('--webhook-secret-file <file>', 'shared secret of the git webhook (GitHub HMAC or GitLab token)')
    .option('--cache-dir <dir>', 'folder for the git copy, dependencies and builds', '.clusterops/reconciler')
    .option('--no-leader-elect', 'do not take a Lease (only one replica may run)')
    .option('--concurrency <n>', 'ManifestSets reconciled at once', '4')
    .option('--notify-url <url>', 'URL that receives a JSON POST when a cluster or the source fails and when it recovers')
    .option('--allow-mass-prune', 'let prune delete more than half of a set (e.g. to remove a whole stage)')
    .option('--insecure-synth', "run each revision's code without the sandbox, where bubblewrap cannot make one (a commit can then read this process's credentials)")
    .option('--synth-socket <path>', "unix socket of a `clusterops synth-server` (its own container, no credentials) that synthesizes each revision instead of the local sandbox")
    .option('--pulumi-stack <name>', "before applying a revision whose stacks/, clusters/ or stack settings changed, run pulumi up of this stack with the revision's own program (sandboxed, with an identity allowed only Secrets and Namespaces of the stages)")
    .option('--pulumi-backend <url>', 'with --pulumi-stack: the state backend, file:///PATH')
    .option('--pulumi-passphrase-file <file>', 'with --pulumi-stack: file holding the passphrase of the stack (never logged)')
    .option('--dashboard-token-file <file>', 'serve the fleet dashboard at /, logging in with the token in this file')
    .option('--dashboard-token-secret <namespace/name>', 'serve the fleet dashboard at /, logging in with the token in key `token` of this Secret')
    .option('--dashboard-token-review', "serve the fleet dashboard at /, letting in Kubernetes users' own tokens (TokenReview) that may list WorkloadClusters")
    .option('--stage <stage>', 'with `cluster NAME`: stage of the cluster, when several stages have one of that name')
    .option('--with-source', 'with `cluster NAME`: fetch the source first (a request always does; accepted as in `flux reconcile`)')
    .option('--timeout <duration>', 'with `cluster NAME`: how long to wait for the acknowledgement', '2m')
    .addOption(new Option('--log-format <format>', 'log lines: text on a terminal, json otherwise (the default picks by stderr)').choices(['json', 'text']))
    .action(async (resource: string | undefined, name: string | undefined, flags: ReconcileFlags & { stage?: string; timeout: string; logFormat?: LogFormat }) => {
      if (resource !== undefined) {
        requireClusterResource(resource);
        if (name === undefined) throw new UsageError('reconcile cluster NAME: name the cluster');
        let timeoutMs: number;
        try {
          timeoutMs = parseDuration(flags.timeout);
        } catch (error) {
          throw new UsageError(`--timeout: ${error instanceof Error ? error.message : String(error)}`);
        }
        const client = await managementClient(flags, { maxRetries: 2 });
        try {
          return await requestReconcile(ctx, client, { cluster: name, stage: flags.stage, timeoutMs });
        } finally {
          client.close();
        }
      }
      if (!flags.repo) throw new UsageError('--repo is required to run the reconciler (or name a cluster: reconcile cluster NAME)');
      const redactor = new Redactor();
      const logger = createLogger({ redactor, format: flags.logFormat });
      const options = reconcileOptions(flags, logger, redactor);
      if (flags.once) {
        const result = await reconcileOnce(options);
        const failed = result.applied.filter((a) => a.errors.length > 0);
        for (const a of result.applied) {
          const c = a.counts;
          ctx.stdout.write(`${a.set}: ${c.created} created, ${c.configured} configured, ${c.unchanged} unchanged, ${c.deleted} deleted, ${c.skipped} skipped${a.errors.length ? `, ${a.errors.length} error(s)` : ''}\n`);
          for (const e of a.errors) ctx.stderr.write(`error: ${a.set}: ${e}\n`);
        }
        if (result.sourceError) ctx.stderr.write(`error: ${result.sourceError}\n`);
        ctx.stdout.write(`revision ${result.revision ?? '(none applied)'}\n`);
        return ctx.exit(failed.length > 0 || result.sourceError ? ExitCode.failed : ExitCode.ok);
      }
      const running = await startReconcilerProcess(options);
      if (running.server) {
        const dashboard = running.dashboard ? `, the dashboard at ${running.server.url}/` : '';
        ctx.stderr.write(`clusterops reconcile: serving ${running.server.url}/metrics, /healthz, /readyz, POST /hooks/git${dashboard}\n`);
      }
      const signal = await untilSignal();
      logger.info({ signal }, 'stopping');
      await running.stop();
      logger.flush();
      return ctx.exit(ExitCode.ok);
    });
}
