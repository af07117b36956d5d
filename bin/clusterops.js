#!/usr/bin/env node
// The clusterops command: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then((code) => { process.exitCode = code; });
