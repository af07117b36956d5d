/** What a failed Pulumi run means to a user: a table of the failures people meet, else Pulumi's own error lines. */

/** Pulumi failures people meet, as a table: what the engine says, and what to tell the user. */
const KNOWN_FAILURES: readonly { match: RegExp; explain: (m: RegExpMatchArray) => string }[] = [
  {
    match: /incorrect passphrase|failed to decrypt|passphrase.*(?:wrong|invalid)/i,
    explain: () => "the passphrase in PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets (wrong passphrase)",
  },
  {
    match: /passphrase must be set|PULUMI_CONFIG_PASSPHRASE.*(?:must|not) (?:be )?set/i,
    explain: () => 'set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase of the stack',
  },
  {
    match: /resource "[^"]*::([^"]+)"\s+cannot be deleted\s+because it is protected|unable to delete resource "[^"]*::([^"]+)"\s*as it is currently marked for protection/i,
    explain: (m) =>
      `${m[1] ?? m[2]} is protected (its cluster has deletionProtection), so removing the cluster's file deletes nothing; ` +
      'to release its identity on purpose, unprotect it first (pulumi state unprotect <urn>)',
  },
  {
    // An update killed half-way (a rebuild SIGKILLed during its up) leaves its lock in the backend.
    match: /stack is currently locked by (\d+) lock\(s\)[^\n]*(?:\n\s*(\S+\.json): created by (\S+) \(pid (\d+)\))?/i,
    explain: (m) =>
      `the stack is locked by another update${m[3] ? ` (${m[3]}, pid ${m[4]})` : ''}: wait for it to end; if it was killed and no pulumi of it runs any more, ` +
      `remove the lock with pulumi cancel (a file backend: delete ${m[2] ?? 'its file under .pulumi/locks/'}) and run again`,
  },
  {
    match: /no stack named '([^']+)' found/i,
    explain: (m) => `stack "${m[1]}" does not exist in this backend; create it with: pulumi stack init ${m[1]}`,
  },
  {
    match: /no resource plugin '([^']+)' found|could not find plugin[^\n]*?(\w[\w-]*)|failed to (?:download|install) plugin[^\n]*?(\w[\w-]*)/i,
    explain: (m) =>
      `the Pulumi provider plugin ${m[1] ?? m[2] ?? m[3]} is not installed; this machine can only use plugins built from their Go modules (see tools/build-pulumi.sh)`,
  },
  {
    match: /no language plugin '?nodejs'?|could not find language plugin|pulumi-language-nodejs/i,
    explain: () => 'the Pulumi Node.js language host (pulumi-language-nodejs) is not next to the pulumi binary nor on PATH',
  },
];

/** The user-facing reason of a Pulumi failure: the known cause, else Pulumi's own error lines (never secrets: Pulumi masks them). */
export function explainPulumiFailure(error: unknown): string {
  const text = error instanceof Error ? `${error.message}\n${(error as { stderr?: string }).stderr ?? ''}` : String(error);
  for (const known of KNOWN_FAILURES) {
    const m = text.match(known.match);
    if (m) return known.explain(m);
  }
  return pulumiErrors(text).slice(0, 5).join('\n') || text.split('\n')[0]!.slice(0, 500);
}

/** Each `error:` diagnostic in Pulumi's output with its continuation lines, without the `error: ` prefix, once each. */
function pulumiErrors(text: string): string[] {
  const lines = text.split('\n');
  const found = new Set<string>();
  lines.forEach((line, i) => {
    const m = /^(\s*)error: (.*)$/i.exec(line);
    if (!m) return;
    const block = [m[2]!];
    for (const next of lines.slice(i + 1)) {
      if (!next.trim() || !next.startsWith(m[1]!) || /^\s*(error|warning|info):/i.test(next) || /^\S/.test(next)) break;
      block.push(next.trim());
    }
    found.add(block.join('\n'));
  });
  // A diagnostic is printed both in the progress lines and under Diagnostics: keep the longest form.
  const all = [...found];
  return all.filter((b) => !all.some((o) => o !== b && o.startsWith(b)));
}
