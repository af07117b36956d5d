#!/usr/bin/env node
// The clusterops command: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
// runCli turns a write to a full disk or a closed pipe into one line and exit 1, never a stack trace.
import { runCli } from '../dist/src/cli/main.js';

runCli(process.argv);
