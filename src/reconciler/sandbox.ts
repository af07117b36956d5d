import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { runChild, type ChildResult } from './_run-child.js';

/** The host uid and gid the sandboxed child runs as when the reconciler is root (`nobody`). */
export const SANDBOX_UID = 65534;

/** Resource limits of every process in the sandbox (rlimits, set with prlimit; inherited by whatever it starts). */
export interface SandboxLimits {
  /** RLIMIT_AS: address space of each process, MiB; covers Buffers and native memory, not only the V8 heap. */
  addressSpaceMb: number;
  /** RLIMIT_CPU: CPU seconds of each process (SIGXCPU, then SIGKILL). */
  cpuSeconds: number;
  /** RLIMIT_FSIZE: the largest file it may write, stdout included, MiB; also the size of its /tmp. */
  fileSizeMb: number;
}

/** One program to run in the sandbox. */
export interface SandboxedRun {
  /** Absolute path of the program, then its arguments. */
  argv: string[];
  /** Working directory; visible read-only at the same path (unless it is /tmp or a system folder, shown anyway). */
  cwd: string;
  /** Host folders visible read-only at the same path (besides the system folders). */
  readOnly?: string[];
  /** Host folders writable at the same path (hand them over with `giveWritable` first). */
  writable?: string[];
  /** The whole environment of the child: nothing else of the reconciler's reaches it. */
  env: Record<string, string>;
  limits: SandboxLimits;
  /** Wall-clock limit; the whole process group is killed at it. */
  timeoutMs: number;
  stdoutFd?: number;
  /**
   * `none`: a network namespace of its own, loopback only. `host`: the host's network (for a
   * program that must reach the API server with an identity of its own, e.g. `pulumi up`).
   * @default none
   */
  network?: 'none' | 'host';
  /** Bytes kept of each of stdout and stderr. @default 64 KiB */
  keepBytes?: number;
}

/** How the sandbox is made: as root, bwrap sets up namespaces and setpriv drops to `nobody`; otherwise a user namespace. */
export type SandboxKind = 'bubblewrap-root' | 'bubblewrap-userns' | 'none';

/** No sandbox can be made on this machine; the message says why and what to do. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** Which limit a child ran into, from how it ended. */
export type LimitHit = 'memory' | 'cpu' | 'file-size' | 'time';

const OUT_OF_MEMORY = /Array buffer allocation failed|out of memory|Cannot allocate memory|ENOMEM|allocation failed|Fatal process OOM/i;

/** The limit a child ran into, if its end says so. */
export function limitHit(r: ChildResult): LimitHit | undefined {
  if (r.timedOut) return 'time';
  if (r.signal === 'SIGXCPU') return 'cpu';
  if (r.signal === 'SIGXFSZ') return 'file-size';
  if (OUT_OF_MEMORY.test(r.stderr) || r.signal === 'SIGABRT' || r.signal === 'SIGTRAP') return 'memory';
  return undefined;
}

/** Finds `name` on PATH (or takes it as given when it is a path); undefined when missing. */
function which(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const MiB = 1024 * 1024;

/** Folders every sandbox shows read-only (with a trailing slash, for prefix tests). */
const SYSTEM_FOLDERS = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib64/', '/lib32/'];

/** What the probe's node prints about itself inside the sandbox. */
const PROBE_SCRIPT = `
const fs = require('fs');
const status = fs.readFileSync('/proc/self/status', 'utf8');
process.stdout.write(JSON.stringify({
  uid: process.getuid(),
  capEff: /CapEff:\\s*(\\w+)/.exec(status)[1],
  pids: fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).length,
  interfaces: Object.keys(require('os').networkInterfaces()),
}));`;

/**
 * Runs a program with no way to the reconciler's secrets (bubblewrap): another uid with no
 * capabilities, fresh PID, network, IPC and mount namespaces (its own /proc, only loopback, only the
 * system folders and the paths it is given), an allowlisted environment, rlimits on address space,
 * CPU and file size, and death with its parent (the whole namespace dies with bwrap).
 */
export class Sandbox {
  private constructor(
    readonly kind: SandboxKind,
    private readonly tools: { bwrap?: string; setpriv?: string; prlimit?: string },
    private readonly systemBinds: string[],
  ) {}

  /**
   * Finds a way to sandbox on this machine, trying each kind and checking from inside that it holds
   * (uid, capabilities, /proc, network); throws SandboxUnavailableError saying why when none works.
   */
  static async probe(options: { node?: string; bwrap?: string } = {}): Promise<Sandbox> {
    const tools = { bwrap: which(options.bwrap ?? 'bwrap'), setpriv: which('setpriv'), prlimit: which('prlimit') };
    if (!tools.bwrap) throw new SandboxUnavailableError('bubblewrap (bwrap) is not installed (apt-get install bubblewrap)');
    if (!tools.prlimit) throw new SandboxUnavailableError('prlimit (util-linux) is not installed');
    const node = options.node ?? process.execPath;
    const kinds: SandboxKind[] = process.getuid?.() === 0 && tools.setpriv ? ['bubblewrap-root', 'bubblewrap-userns'] : ['bubblewrap-userns'];
    const failures: string[] = [];
    for (const kind of kinds) {
      const sandbox = new Sandbox(kind, tools, systemBinds([node, tools.setpriv, tools.prlimit]));
      const r = await sandbox.run({
        argv: [node, '-e', PROBE_SCRIPT],
        cwd: '/tmp',
        env: { PATH: '/usr/bin:/bin' },
        limits: { addressSpaceMb: 4096, cpuSeconds: 30, fileSizeMb: 1 },
        timeoutMs: 30_000,
      });
      const why = sandbox.check(r);
      if (!why) return sandbox;
      failures.push(`${kind}: ${why}`);
    }
    throw new SandboxUnavailableError(`bubblewrap cannot make a sandbox here (${failures.join('; ')})`);
  }

  /** No sandbox: the child runs as the reconciler's user, seeing what it sees (`--insecure-synth`), with the same rlimits. */
  static insecure(): Sandbox {
    return new Sandbox('none', { setpriv: which('setpriv'), prlimit: which('prlimit') }, []);
  }

  /** Whether the child is kept from the reconciler's secrets. */
  get isolated(): boolean {
    return this.kind !== 'none';
  }

  /** Hands `dir` to the sandbox's user, so the child may write there. */
  async giveWritable(dir: string): Promise<void> {
    if (this.kind === 'bubblewrap-root') await chown(dir, SANDBOX_UID, SANDBOX_UID);
  }

  /** Lets the sandbox's user read `dir` (a checkout made by a tool that keeps folders private). */
  async giveReadable(dir: string): Promise<void> {
    if (this.kind !== 'bubblewrap-root') return;
    const { mode } = await stat(dir);
    if ((mode & 0o005) !== 0o005) await chmod(dir, (mode & 0o7777) | 0o005);
  }

  /** Runs `r` in the sandbox (its process group killed at the deadline). */
  run(r: SandboxedRun): Promise<ChildResult> {
    const { file, args } = this.command(r);
    return runChild(file, args, { cwd: this.kind === 'none' ? r.cwd : '/', env: r.env, timeoutMs: r.timeoutMs, stdoutFd: r.stdoutFd, keepBytes: r.keepBytes });
  }

  /** The command line that runs `r`: [setpriv --pdeathsig] bwrap … [setpriv --reuid] prlimit … program. */
  command(r: SandboxedRun): { file: string; args: string[] } {
    const limits = this.tools.prlimit
      ? [
          this.tools.prlimit,
          `--as=${r.limits.addressSpaceMb * MiB}`,
          `--cpu=${r.limits.cpuSeconds}`,
          `--fsize=${r.limits.fileSizeMb * MiB}`,
          '--core=0',
          '--',
        ]
      : [];
    // Dies when the reconciler dies (SIGKILL included); bwrap's --die-with-parent takes the namespace down with it.
    const deathSig = this.tools.setpriv ? [this.tools.setpriv, '--pdeathsig', 'KILL', '--'] : [];
    if (this.kind === 'none') return split([...deathSig, ...limits, ...r.argv]);
    for (const p of [r.cwd, ...(r.readOnly ?? []), ...(r.writable ?? [])]) {
      if (!path.isAbsolute(p) || path.resolve(p) === '/') throw new Error(`the sandbox shows absolute folders below /, not ${JSON.stringify(p)}`);
    }
    const cwdShown = r.cwd === '/tmp' || SYSTEM_FOLDERS.some((s) => `${r.cwd}/`.startsWith(s));
    const bwrap = [
      this.tools.bwrap!,
      ...(this.kind === 'bubblewrap-userns' ? ['--unshare-user', '--disable-userns', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID)] : []),
      '--unshare-pid', ...(r.network === 'host' ? [] : ['--unshare-net']), '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
      '--die-with-parent', '--new-session', '--hostname', 'synth',
      ...this.systemBinds,
      '--proc', '/proc',
      '--dev', '/dev',
      '--perms', '1777', '--size', String(r.limits.fileSizeMb * MiB), '--tmpfs', '/tmp',
      ...mountPoints([...(r.readOnly ?? []), ...(r.writable ?? []), ...(cwdShown ? [] : [r.cwd])]),
      ...(r.readOnly ?? []).flatMap((p) => ['--ro-bind', p, p]),
      ...(r.writable ?? []).flatMap((p) => ['--bind', p, p]),
      ...(cwdShown ? [] : ['--ro-bind', r.cwd, r.cwd]),
      '--chdir', r.cwd,
      '--',
    ];
    const dropUser =
      this.kind === 'bubblewrap-root'
        ? [this.tools.setpriv!, `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--']
        : [];
    return split([...deathSig, ...bwrap, ...dropUser, ...limits, ...r.argv]);
  }

  /** Why the probe's report shows no sandbox; undefined when it holds. */
  private check(r: ChildResult): string | undefined {
    if (r.code !== 0) return r.stderr.trim().split('\n').slice(-2).join(' ') || `exited with ${r.code ?? r.signal}`;
    let seen: { uid: number; capEff: string; pids: number; interfaces: string[] };
    try {
      seen = JSON.parse(r.stdout) as typeof seen;
    } catch {
      return 'the probe printed no report';
    }
    if (seen.uid !== SANDBOX_UID) return `the child runs as uid ${seen.uid}`;
    if (!/^0+$/.test(seen.capEff)) return `the child keeps capabilities ${seen.capEff}`;
    if (seen.pids > 3) return `the child sees ${seen.pids} processes`;
    if (seen.interfaces.some((i) => i !== 'lo')) return `the child has network interfaces ${seen.interfaces.join(', ')}`;
    return undefined;
  }
}

/** The folders above each of `paths`, made 0755 (bwrap as root would make them 0700, closed to the sandbox's user). */
function mountPoints(paths: string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = path.resolve(p).split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  return [...dirs]
    .filter((d) => d !== '/tmp' && !SYSTEM_FOLDERS.some((s) => `${d}/`.startsWith(s)))
    .sort((a, b) => a.split('/').length - b.split('/').length)
    .flatMap((d) => ['--perms', '0755', '--dir', d]);
}

function split(argv: string[]): { file: string; args: string[] } {
  return { file: argv[0], args: argv.slice(1) };
}

/**
 * The system folders a sandboxed node needs, read-only: /usr (and the merged-/usr links), the
 * dynamic linker's cache, time zones, and the folders of `programs` that live elsewhere. Nothing
 * else of /etc, no /home, /root, /var or /run (where kubeconfigs and service-account tokens live).
 */
function systemBinds(programs: Array<string | undefined>): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  // An /etc of our own (bwrap as root would make it 0700, unreadable to the sandbox's user).
  args.push('--perms', '0755', '--dir', '/etc');
  for (const f of ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime']) args.push('--ro-bind-try', f, f);
  for (const p of programs) {
    if (!p) continue;
    const real = realpathSync(p);
    if (SYSTEM_FOLDERS.some((s) => real.startsWith(s))) continue;
    // e.g. /opt/node/bin/node: its whole installation (lib/, include/) is what it needs.
    const prefix = path.dirname(path.dirname(real));
    args.push('--ro-bind', prefix, prefix);
  }
  return args;
}

/** The whole environment of a sandboxed child: nothing of the reconciler's. */
export function sandboxEnv(heapMb: number, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', NODE_OPTIONS: `--max-old-space-size=${heapMb}`, ...extra };
}

/** What the sandbox must show read-only of a checkout's dependencies: the real folder its node_modules links to, when outside it. */
export async function checkoutDependencies(checkout: string): Promise<string[]> {
  const modules = await realpath(path.join(checkout, 'node_modules')).catch(() => undefined);
  return modules && !modules.startsWith(`${checkout}${path.sep}`) ? [modules] : [];
}

/** A new folder under `<cacheDir>/scratch`. */
export async function scratchDir(cacheDir: string, prefix: string): Promise<string> {
  const scratch = path.join(path.resolve(cacheDir), 'scratch');
  await mkdir(scratch, { recursive: true });
  return mkdtemp(path.join(scratch, prefix));
}
