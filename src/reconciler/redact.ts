/** What is put where a secret was. */
export const REDACTED = '[redacted]';

/** Shapes of credential material, whoever holds it: key and certificate blocks, kubeconfig fields, bearer tokens, passwords in URLs. */
const PATTERNS: Array<[RegExp, string]> = [
  // A PEM block, also when its newlines arrive escaped (inside JSON log lines), and one cut off
  // before its END line: the BEGIN line and every following line made only of base64.
  [
    /-----BEGIN [A-Z0-9 ]+-----(?:(?:\r?\n|\\n)[ \t]*[A-Za-z0-9+/=]{1,80}(?=\r?\n|\\n|"|$))*(?:(?:\r?\n|\\n)[ \t]*-----END [A-Z0-9 ]+-----)?/g,
    `-----${REDACTED} PEM block-----`,
  ],
  // kubeconfig fields and their like, as YAML (`token: x`), JSON (`"token":"x"`) or flags (`--token=x`).
  [
    /((?:client-key-data|client-certificate-data|certificate-authority-data|id-token|refresh-token|access-token|token|password|secret)["']?\s*[:=]\s*["']?)[^\s"',}\\]{4,}/gi,
    `$1${REDACTED}`,
  ],
  [/(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  // user:password@ in URLs (git credentials).
  [/([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']+@/gi, `$1${REDACTED}@`],
];

/** Environment variable names whose values the process counts among its secrets. */
const SECRET_ENV_NAME = /secret|token|password|passwd|credential|private|_key$|^key$|access_key|api_key/i;

/** Secrets shorter than this are not matched literally (they would redact ordinary words). */
const MIN_SECRET_LENGTH = 6;

/**
 * Removes credentials from text that leaves the process (logs, Events, status): everything that
 * looks like credential material (PEM blocks, kubeconfig fields, bearer tokens, URL passwords),
 * and each literal value the process holds (`add`), also in its base64 and JSON-escaped forms.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Counts `value` among the secrets of this process: it is never written anywhere. */
  add(value: string | Buffer | undefined | null): this {
    if (value === undefined || value === null) return this;
    const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
    for (const form of [text.trim(), JSON.stringify(text.trim()).slice(1, -1), Buffer.from(text.trim()).toString('base64')]) {
      if (form.length >= MIN_SECRET_LENGTH) this.secrets.add(form);
    }
    // Each line of a multi-line secret (a key file) on its own, since output may be cut between lines.
    for (const line of text.split(/\r?\n/)) if (line.trim().length >= 16) this.secrets.add(line.trim());
    return this;
  }

  /** Counts the credentials of a git URL (`https://user:token@host/…`) among the secrets. */
  addUrlCredentials(url: string): this {
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i.exec(url);
    if (!m) return this;
    const userinfo = m[1];
    this.add(userinfo);
    for (const part of userinfo.split(':')) this.add(safeDecode(part));
    return this;
  }

  /** Counts the values of environment variables with secret-sounding names (cloud keys, tokens) among the secrets. */
  addEnvironment(env: NodeJS.ProcessEnv): this {
    for (const [name, value] of Object.entries(env)) if (value && SECRET_ENV_NAME.test(name)) this.add(value);
    return this;
  }

  /** `text` without credentials. */
  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another is removed whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Limits of what a child's output may put into a message. */
export interface ExcerptLimits {
  /** @default 30 */
  maxLines?: number;
  /** @default 2048 */
  maxBytes?: number;
}

/**
 * The last lines of a child's output, bounded (30 lines, 2 KiB by default) and redacted: what may
 * go into an error message, a log line, an Event or a status.
 */
export function excerpt(text: string, redactor: Redactor, limits: ExcerptLimits = {}): string {
  const maxLines = limits.maxLines ?? 30;
  const maxBytes = limits.maxBytes ?? 2048;
  // Redact before cutting, so that a cut never leaves half a secret; then again after (a cut PEM block).
  const lines = redactor.redact(text).trim().split('\n').filter((l) => l.trim() !== '');
  let kept = lines.slice(-maxLines).join('\n');
  if (Buffer.byteLength(kept) > maxBytes) kept = `…${Buffer.from(kept).subarray(-maxBytes).toString('utf8').replace(/^\uFFFD+/, '')}`;
  const cut = lines.length > maxLines || kept.startsWith('…');
  return redactor.redact(cut ? `(last part of the output)\n${kept}` : kept);
}
