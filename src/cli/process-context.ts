import type { CommandContext } from './main.js';

/** The real process's streams and exit code, for commands created without a context. */
export const processContext: CommandContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  exit: (code) => {
    process.exitCode = code;
  },
};
