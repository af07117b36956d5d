import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { ExitCode, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../main.js';
import { COMMANDS } from '../command-table.js';
import { processContext } from '../process-context.js';

const run = promisify(execFile);

/** File written under `-o DIR`. */
export const DEPLOY_MANIFESTS_FILE = 'clusterops-reconciler.yaml';

/** This package's version, from the nearest package.json above this module (in src/ or dist/src/). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'clusterops' && pkg.version) return pkg.version;
    } catch {
      // Not here; look one folder up.
    }
  }
  return 'latest';
}

interface DeployFlags {
  image: string;
  repo?: string;
  branch?: string;
  replicas: string;
  interval: string;
  notifyUrl?: string;
  pulumiIdentity?: boolean;
  output: string;
}

/** The `origin` remote of the git repository around the working directory, when there is one. */
async function originUrl(): Promise<string | undefined> {
  try {
    const url = (await run('git', ['remote', 'get-url', 'origin'])).stdout.trim();
    return url || undefined;
  } catch {
    return undefined;
  }
}

/** `clusterops deploy-manifests`: the manifests that run the reconciler in a management cluster. */
export function deployManifestsCommand(ctx: CommandContext = processContext): Command {
  return new Command('deploy-manifests')
    .description(COMMANDS['deploy-manifests'].description)
    .option('--image <ref>', 'container image built from this repository (see Dockerfile)', `clusterops:${packageVersion()}`)
    .option('--repo <url>', 'git repository the reconciler follows (default: the origin remote of this repository)')
    .option('--branch <name>', "branch to follow (default: the remote's default branch)")
    .option('--replicas <n>', 'replicas; one leads, the others stand by', '2')
    .option('--interval <duration>', 'how often the reconciler fetches without a webhook', '1m')
    .option('--notify-url <url>', 'URL that receives a JSON POST on each failure and recovery')
    .option('--pulumi-identity', "give the reconciler the rights to grant the Pulumi program's own identity (reconcile --pulumi-stack)")
    .option('-o, --output <dir|->', 'folder to write, or - for stdout', '-')
    .action(async (flags: DeployFlags) => {
      const replicas = Number(flags.replicas);
      if (!Number.isInteger(replicas) || replicas < 1) throw new UsageError('--replicas must be a positive integer');
      const repo = flags.repo ?? (await originUrl());
      if (!repo) throw new UsageError('--repo is required here (no origin remote to take it from)');
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(repo)) {
        throw new UsageError('--repo must not carry a password; give the reconciler its git credentials through a Secret');
      }
      for (const [flag, value] of [['--notify-url', flags.notifyUrl]] as const) {
        if (value !== undefined && !/^https?:\/\//.test(value)) throw new UsageError(`${flag} must be an http(s) URL`);
      }
      // Loaded on use: cdk8s is among the heaviest imports of the CLI.
      const { App } = await import('cdk8s');
      const { ReconcilerDeploymentChart } = await import('../../charts/reconciler-deployment.js');
      const { toYaml } = await import('../../synth/serialize.js');
      const app = new App();
      const chart = new ReconcilerDeploymentChart(app, 'clusterops-reconciler', {
        image: flags.image,
        repo,
        branch: flags.branch,
        replicas,
        interval: flags.interval,
        notifyUrl: flags.notifyUrl,
        pulumiIdentity: flags.pulumiIdentity === true,
      });
      const yaml = toYaml(chart.toJson());
      if (flags.output === '-') {
        ctx.stdout.write(yaml);
      } else {
        await mkdir(flags.output, { recursive: true });
        const file = path.join(flags.output, DEPLOY_MANIFESTS_FILE);
        await writeFile(file, yaml);
        ctx.stderr.write(`wrote ${file}\n`);
      }
      return ctx.exit(ExitCode.ok);
    });
}
