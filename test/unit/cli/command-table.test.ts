// `clusterops --help` lists the commands from the table without loading them; the table must say
// what each command module would say.
import { fileURLToPath } from 'node:url';
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandName } from '../../../src/cli/command-table.js';
import { loadCommand, main } from '../../../src/cli/main.js';

const ctx = { stdout: process.stdout, stderr: process.stderr, exit: () => {} };

function capture() {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
}

describe('command table', () => {
  it('matches each command: description and whether it has options', async () => {
    for (const name of Object.keys(COMMANDS) as CommandName[]) {
      const real = await loadCommand(name, ctx);
      expect(real.description(), name).toBe(COMMANDS[name].description);
      const entry: { options: boolean; args?: string } = COMMANDS[name];
      const term = entry.options ? `${name} [options]` : name;
      expect(new Help().subcommandTerm(real), name).toBe(entry.args ? `${term} ${entry.args}` : term);
    }
  });

  it('--help lists every command with its summary', async () => {
    const out = capture();
    const err = capture();
    expect(await main(['node', 'clusterops', '--help'], { stdout: out.stream, stderr: err.stream })).toBe(0);
    for (const name of Object.keys(COMMANDS) as CommandName[]) expect(out.text()).toContain(COMMANDS[name].options ? `${name} [options]` : `${name} `);
    expect(out.text()).toContain('help [command]');
  });

  it('a stub loads its command when commander dispatches to it (after `--`), with the usual usage line', async () => {
    const out = capture();
    const err = capture();
    const clusters = fileURLToPath(new URL('../../../clusters', import.meta.url));
    expect(await main(['node', 'clusterops', '--', 'validate', '--clusters', clusters], { stdout: out.stream, stderr: err.stream })).toBe(0);
    expect(out.text()).toMatch(/6 clusters in 3 stages, all valid/);
  });
});
