import { createRequire } from 'node:module';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';

/** Name of the Pulumi project (Pulumi.yaml), the namespace of every config key below. */
export const PROJECT_NAME = 'clusterops-management';

/** Environment variable through which `clusterops preview --clusters DIR` overrides the clusters folder for one run. */
export const CLUSTERS_DIR_ENV = 'CLUSTEROPS_CLUSTERS_DIR';

/** Config keys that hold secrets: they must be set with `pulumi config set --secret`. */
export const SECRET_CONFIG_KEYS = ['gitToken', 'webhookSecret'] as const;

/** Default namespace of the reconciler, as `clusterops reconcile` assumes for its Lease. */
export const DEFAULT_RECONCILER_NAMESPACE = 'clusterops-system';

/**
 * How the stack deploys the reconciler's Deployment, ServiceAccount, RBAC, CRD and Service (`reconcilerWorkload`):
 * `await` them as Pulumi does by default (up waits for the Deployment's available replicas); `skipAwait`
 * (created, not awaited: for a control plane with no scheduler or kubelet, or a first up before nodes
 * exist); `none` (only the reconciler's Namespace and Secrets; the workload comes from elsewhere).
 */
export const RECONCILER_WORKLOAD_MODES = ['await', 'skipAwait', 'none'] as const;

/** One of RECONCILER_WORKLOAD_MODES. */
export type ReconcilerWorkloadMode = (typeof RECONCILER_WORKLOAD_MODES)[number];

/**
 * What the stack declares (`scope`): `all` (the stage Namespaces, the reconciler and every managed
 * cluster's identity), or `identities` (only the stage Namespaces and the identity Secrets: the stack
 * the reconciler itself runs with `--pulumi-stack`, whose least-privilege identity may touch nothing else).
 */
export const STACK_SCOPES = ['all', 'identities'] as const;

/** One of STACK_SCOPES. */
export type StackScope = (typeof STACK_SCOPES)[number];

/** The settings of one management stack (`Pulumi.<stack>.yaml`), validated. */
export interface StackConfig {
  /** What the stack declares (`scope`, see STACK_SCOPES). @default all */
  scope: StackScope;
  /** Stage folders of `clusters/` this management cluster manages (`stages`: JSON list or comma-separated). */
  stages: string[];
  /** Absolute path of the clusters folder. @default `clusters` beside Pulumi.yaml, overridden by `clustersDir` and then by $CLUSTEROPS_CLUSTERS_DIR */
  clustersDir: string;
  /** Repository the reconciler follows (`gitUrl`); required with scope `all`, unused with `identities`. */
  gitUrl?: string;
  /** Branch the reconciler follows (`gitBranch`). @default main */
  gitBranch: string;
  /** User name paired with the token (`gitUsername`). @default git */
  gitUsername: string;
  /** Token or password for the repository (`gitToken`, secret); required with scope `all`. */
  gitToken?: pulumi.Output<string>;
  /** Shared secret of push webhooks (`webhookSecret`, secret); required with scope `all`. */
  webhookSecret?: pulumi.Output<string>;
  /** Version of the reconciler to run (`reconcilerVersion`), the tag of its image; required with scope `all`. */
  reconcilerVersion?: string;
  /** Namespace of the reconciler (`reconcilerNamespace`). @default clusterops-system */
  reconcilerNamespace: string;
  /** Whether up deploys and awaits the reconciler's workload (`reconcilerWorkload`, see RECONCILER_WORKLOAD_MODES). @default await */
  reconcilerWorkload: ReconcilerWorkloadMode;
}

/** A stack setting that is missing, malformed or stored in plain text although it is a secret. */
export class StackConfigError extends Error {}

const require = createRequire(import.meta.url);

/** Whether the engine told the program that `fullKey` is stored encrypted; true when the SDK cannot tell. */
function isStoredAsSecret(fullKey: string): boolean {
  // The SDK knows which keys arrived encrypted but keeps the function internal; without it, do not guess.
  const internal = require('@pulumi/pulumi/runtime/config') as { isConfigSecret?: (key: string) => boolean };
  return internal.isConfigSecret ? internal.isConfigSecret(fullKey) : true;
}

function parseStages(raw: string): string[] {
  let list: unknown;
  if (raw.trim().startsWith('[')) {
    try {
      list = JSON.parse(raw);
    } catch {
      throw new StackConfigError(`${PROJECT_NAME}:stages is not a JSON list of stage names`);
    }
  } else {
    list = raw.split(',').map((s) => s.trim());
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new StackConfigError(`${PROJECT_NAME}:stages must name at least one stage folder, e.g. ["production"] or production,staging`);
  }
  return [...new Set(list as string[])].sort();
}

function parseScope(raw: string | undefined): StackScope {
  if (raw === undefined || raw === '') return 'all';
  if ((STACK_SCOPES as readonly string[]).includes(raw)) return raw as StackScope;
  throw new StackConfigError(`${PROJECT_NAME}:scope is ${JSON.stringify(raw)}; it must be one of ${STACK_SCOPES.join(', ')}`);
}

function parseReconcilerWorkload(raw: string | undefined): ReconcilerWorkloadMode {
  if (raw === undefined || raw === '') return 'await';
  if ((RECONCILER_WORKLOAD_MODES as readonly string[]).includes(raw)) return raw as ReconcilerWorkloadMode;
  throw new StackConfigError(
    `${PROJECT_NAME}:reconcilerWorkload is ${JSON.stringify(raw)}; it must be one of ${RECONCILER_WORKLOAD_MODES.join(', ')}`,
  );
}

/** The git URL, refused when it carries a password or token (that belongs in the secret `gitToken`). */
function parseGitUrl(raw: string): string {
  let password = '';
  try {
    password = new URL(raw).password;
  } catch {
    // scp-like `git@host:org/repo.git` carries no password.
  }
  if (password) {
    throw new StackConfigError(
      `${PROJECT_NAME}:gitUrl carries a password or token in plain text; remove it from the URL and set it with: pulumi config set --secret gitToken <token>`,
    );
  }
  return raw;
}

/** Reads and checks the stack's settings; throws a StackConfigError naming the key at fault. */
export function readStackConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): StackConfig {
  const cfg = new pulumi.Config(PROJECT_NAME);
  const required = (key: string) => {
    const value = cfg.get(key);
    if (value === undefined || value === '') {
      throw new StackConfigError(`${PROJECT_NAME}:${key} is not set (pulumi config set ${key} <value>)`);
    }
    return value;
  };
  const scope = parseScope(cfg.get('scope'));
  const clustersDir = env[CLUSTERS_DIR_ENV] || cfg.get('clustersDir') || 'clusters';
  const stages = parseStages(required('stages'));
  // The identities-only stack declares nothing of the reconciler: none of its settings are read.
  if (scope === 'identities') {
    return { scope, stages, clustersDir: path.resolve(cwd, clustersDir), gitBranch: 'main', gitUsername: 'git', reconcilerNamespace: DEFAULT_RECONCILER_NAMESPACE, reconcilerWorkload: 'none' };
  }
  for (const key of SECRET_CONFIG_KEYS) {
    if (cfg.get(key) === undefined) {
      throw new StackConfigError(`${PROJECT_NAME}:${key} is not set (pulumi config set --secret ${key} <value>)`);
    }
    if (!isStoredAsSecret(`${PROJECT_NAME}:${key}`)) {
      throw new StackConfigError(
        `${PROJECT_NAME}:${key} is stored in plain text; set it again with: pulumi config set --secret ${key} <value>`,
      );
    }
  }
  const reconcilerNamespace = cfg.get('reconcilerNamespace') ?? DEFAULT_RECONCILER_NAMESPACE;
  const reconcilerWorkload = parseReconcilerWorkload(cfg.get('reconcilerWorkload'));
  // The reconciler's chart (src/charts/reconciler-deployment.ts) always runs it in clusterops-system.
  if (reconcilerNamespace !== DEFAULT_RECONCILER_NAMESPACE && reconcilerWorkload !== 'none') {
    throw new StackConfigError(
      `${PROJECT_NAME}:reconcilerNamespace is "${reconcilerNamespace}", but the reconciler's workload runs in ${DEFAULT_RECONCILER_NAMESPACE}; ` +
        'leave reconcilerNamespace unset, or set reconcilerWorkload none and deploy the workload yourself',
    );
  }
  return {
    scope,
    stages,
    clustersDir: path.resolve(cwd, clustersDir),
    gitUrl: parseGitUrl(required('gitUrl')),
    gitBranch: cfg.get('gitBranch') ?? 'main',
    gitUsername: cfg.get('gitUsername') ?? 'git',
    gitToken: cfg.requireSecret('gitToken'),
    webhookSecret: cfg.requireSecret('webhookSecret'),
    reconcilerVersion: required('reconcilerVersion'),
    reconcilerNamespace,
    reconcilerWorkload,
  };
}
