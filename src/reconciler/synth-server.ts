/**
 * The repo-server half of synth for a deployment (Argo CD's split): a process in its own container,
 * holding no cluster credential, that takes a revision's tree (a tar made by `git archive`, no
 * `.git`) over a unix socket, unpacks it into a folder of its own, synthesizes it and answers with
 * the `clusterops.io/manifest-sets/v1` document, or the SynthError. Nothing is shared with the
 * reconciler but the socket: the revision's code cannot touch the reconciler's git copy or files.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { manifestSetsDocument } from '../model/manifest-sets-document.js';
import { readBoundedBody } from './request-body.js';
import type { Synthesizer } from './revisions.js';
import { SynthError } from './synth-error.js';

/** Largest revision tree accepted, in bytes. */
export const MAX_TREE_BYTES = 256 * 1024 * 1024;

/** A running synth server. */
export interface RunningSynthServer {
  socket: string;
  close(): Promise<void>;
}

/** Serves `POST /synth` (body: a tar of the revision's tree) on the unix socket `socket`; one synth at a time. */
export async function startSynthServer(o: { socket: string; workDir: string; synthesizer: Synthesizer; logger: Logger }): Promise<RunningSynthServer> {
  await mkdir(o.workDir, { recursive: true });
  await rm(o.socket, { force: true });
  let queue: Promise<unknown> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/synth') return answer(404, { error: { phase: 'synth', message: 'only POST /synth' } });
    void (async () => {
      const read = await readBoundedBody(req, MAX_TREE_BYTES);
      if (!read.ok) return answer(413, { error: { phase: 'synth', message: `the revision's tree is over ${MAX_TREE_BYTES} bytes` } });
      const run = queue.then(() => synthTree(read.body, o));
      queue = run.catch(() => undefined);
      try {
        const result = await run;
        answer(200, { ...manifestSetsDocument(result.sets, result.blocked), timings: result.timings });
      } catch (error) {
        const phase = error instanceof SynthError ? error.phase : 'synth';
        answer(422, { error: { phase, message: error instanceof Error ? error.message : String(error) } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socket, () => resolve());
  });
  // The reconciler runs as the same uid in its own container; nobody else needs the socket.
  await chmod(o.socket, 0o600);
  o.logger.info({ socket: o.socket }, 'synth server listening');
  return { socket: o.socket, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Unpacks a tree into a fresh folder, synthesizes it there, and removes the folder. */
async function synthTree(tar: Buffer, o: { workDir: string; synthesizer: Synthesizer }) {
  const dir = await mkdtemp(path.join(o.workDir, 'rev-'));
  try {
    await untar(tar, dir);
    return await o.synthesizer.synth(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function untar(tar: Buffer, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).length > 2000 && (stderr = stderr.slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new SynthError('synth', `the revision's tree could not be unpacked: ${stderr.trim() || `tar exited ${code}`}`))));
    child.stdin.end(tar);
  });
}
