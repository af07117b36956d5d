/**
 * Runs the stacks/ program under Pulumi's mock monitor and records every resource registration as
 * the engine would receive it: type, name, protect, retainOnDelete, and the inputs with secrets
 * still wrapped in Pulumi's secret envelope (the mock's own callback only sees them unwrapped).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { CLUSTERS_DIR_ENV, PROJECT_NAME } from '../../../stacks/config.js';
import { KEY_MATERIAL_TYPE } from '../../../stacks/key-material.js';
import program from '../../../stacks/index.js';

/** Pulumi's marker for a secret value on the wire. */
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const SIG_KEY = '4dabf18193072939515e22adb298388d';

/** One resource registration as the engine receives it. */
export interface Registration {
  type: string;
  name: string;
  protect: boolean;
  retainOnDelete: boolean;
  /** Outputs the engine is told to keep secret. */
  additionalSecretOutputs: string[];
  /** Inputs as sent; secret values are `{ [SIG_KEY]: SECRET_SIG, value }`. */
  inputs: Record<string, unknown>;
  /** Inputs with secrets unwrapped, as the mock saw them. */
  plain: Record<string, unknown>;
}

/** The outcome of one run of the program. */
export interface ProgramRun {
  registrations: Registration[];
  outputs?: Record<string, unknown>;
  error?: Error;
}

/** Whether a value as sent is wrapped as a secret. */
export function isWrappedSecret(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** A JSON text of `v` with every secret envelope replaced by `[secret]`: what would be readable without the passphrase. */
export function withoutSecrets(v: unknown): string {
  return JSON.stringify(v, (_k, value) => (isWrappedSecret(value) ? '[secret]' : value));
}

/** Fake but distinct key material per resource, so tests can check which key went where. */
function computedState(type: string, name: string): Record<string, string> {
  if (type === KEY_MATERIAL_TYPE) {
    return {
      privateKeyPem: `-----BEGIN RSA PRIVATE KEY-----\n${name}\n-----END RSA PRIVATE KEY-----\n`,
      certificatePem: name.endsWith('/sa')
        ? `-----BEGIN PUBLIC KEY-----\n${name}\n-----END PUBLIC KEY-----\n`
        : `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`,
    };
  }
  return {};
}

/** Writes `files` (path relative to the folder → content) into a new temporary clusters folder. */
export async function clustersFolder(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'clusterops-stacks-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  return root;
}

const require = createRequire(import.meta.url);
// The SDK's own queue of outstanding RPCs; internal, used here only to know when registration is over.
const { waitForRPCs } = require('@pulumi/pulumi/runtime/settings') as { waitForRPCs: () => Promise<void> };

/**
 * Runs the program once with `config` (keys without the project prefix) of which `secretKeys` are
 * marked as stored encrypted, against the clusters folder `clustersDir`.
 */
export async function runProgram(
  clustersDir: string,
  config: Record<string, string>,
  secretKeys: string[],
): Promise<ProgramRun> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: args.custom ? `${args.name}-id` : undefined,
        state: { ...args.inputs, ...computedState(args.type, args.name) },
      }),
      call: (args) => args.inputs,
    },
    PROJECT_NAME,
    'test',
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
      inputs,
      plain: JSON.parse(JSON.stringify(inputs, (_k, v) => (isWrappedSecret(v) ? (v as { value: unknown }).value : v))),
    });
    original(req, cb);
  };
  const full = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT_NAME}:${k}`, v]));
  pulumi.runtime.setAllConfig(full, secretKeys.map((k) => `${PROJECT_NAME}:${k}`));
  const saved = process.env[CLUSTERS_DIR_ENV];
  process.env[CLUSTERS_DIR_ENV] = clustersDir;
  try {
    // As Pulumi's mocks are meant to be used: the program's function called directly, no root Stack resource.
    const outputs = (await program()) as unknown as Record<string, unknown>;
    await waitForRPCs();
    return { registrations, outputs };
  } catch (error) {
    await waitForRPCs().catch(() => undefined);
    return { registrations, error: error instanceof Error ? error : new Error(String(error)) };
  } finally {
    if (saved === undefined) delete process.env[CLUSTERS_DIR_ENV];
    else process.env[CLUSTERS_DIR_ENV] = saved;
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getAdditionalsecretoutputsList?(): string[];
  getObject(): { toJavaScript(): unknown } | undefined;
}
