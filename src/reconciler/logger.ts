import { pino, type DestinationStream, type Logger } from 'pino';
import { defaultLogFormat, humanDestination, type LogFormat } from './log-format.js';
import { Redactor } from './redact.js';

/** Paths whose values are never written, wherever they appear in a log record. */
export const REDACTED_PATHS = [
  'secret',
  'token',
  'password',
  'kubeconfig',
  'webhookSecret',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'headers["x-hub-signature-256"]',
  '*.secret',
  '*.token',
  '*.password',
  '*.kubeconfig',
  '*.value',
];

/**
 * The reconciler's logger: pino JSON lines on stderr (human lines on a terminal, or as `format`
 * says; or to `destination`), with credential paths
 * redacted, and each line passed through `redactor` (credential shapes and the literal secrets the
 * process holds, wherever they appear: messages, error texts, child output).
 */
export function createLogger(options: { level?: string; destination?: DestinationStream; redactor?: Redactor; format?: LogFormat } = {}): Logger {
  const redactor = options.redactor ?? new Redactor();
  const format = options.format ?? defaultLogFormat(process.stderr);
  return pino(
    {
      name: 'clusterops',
      level: options.level ?? process.env.CLUSTEROPS_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      hooks: { streamWrite: (line) => redactor.redact(line) },
    },
    options.destination ?? (format === 'text' ? humanDestination(process.stderr) : pino.destination({ fd: 2, sync: false })),
  );
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
