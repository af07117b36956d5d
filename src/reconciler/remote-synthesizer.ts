/**
 * The reconciler's half of a synth server (synth-server.ts): sends a checked-out revision's tree
 * (`git archive HEAD`, no `.git`) over the unix socket and reads back the checked ManifestSets.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import type { Synthesizer } from './revisions.js';
import { SynthError, type SynthPhase } from './synth-error.js';
import { readManifestSets } from './synth-output.js';
import type { SynthResult } from './synth-runner.js';

const exec = promisify(execFile);
const PHASES: readonly SynthPhase[] = ['install', 'build', 'synth', 'output'];

/** Synthesizes through a synth server on `socket`. */
export class RemoteSynthesizer implements Synthesizer {
  constructor(
    private readonly socket: string,
    /** Time allowed for one synth, install and build included. @default 900000 */
    private readonly timeoutMs = 900_000,
  ) {}

  async synth(checkout: string): Promise<SynthResult> {
    const { stdout: tree } = await exec('git', ['-C', checkout, 'archive', '--format=tar', 'HEAD'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
    const { status, body } = await this.post(tree);
    let doc: { error?: { phase?: string; message?: string }; timings?: SynthResult['timings'] };
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      throw new SynthError('output', `the synth server answered ${status} with something that is not JSON`);
    }
    if (status !== 200 || doc.error) {
      const phase = PHASES.includes(doc.error?.phase as SynthPhase) ? (doc.error!.phase as SynthPhase) : 'synth';
      throw new SynthError(phase, doc.error?.message ?? `the synth server answered ${status}`);
    }
    return { ...readManifestSets(body), timings: doc.timings ?? {} };
  }

  private post(tree: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.socket, path: '/synth', method: 'POST', headers: { 'content-type': 'application/x-tar', 'content-length': tree.length }, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new SynthError('synth', `the synth server did not answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => reject(error instanceof SynthError ? error : new SynthError('synth', `cannot reach the synth server at ${this.socket}: ${error.message}`)));
      req.end(tree);
    });
  }
}
