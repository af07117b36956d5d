#!/usr/bin/env node
// The clusterops command: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import { main } from '../dist/src/cli/main.js';

// `clusterops synth | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw err; });
}

main(process.argv).then((code) => { process.exitCode = code; });
