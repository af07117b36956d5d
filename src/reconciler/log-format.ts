/**
 * Log lines for people: on a terminal the reconciler prints `15:04:05 INFO  message key=value …`
 * instead of pino's JSON (which stays the format for files, pipes and log collectors). Each line is
 * formatted from the JSON record after redaction, so both formats carry the same, redacted, content.
 */
import { Writable } from 'node:stream';

/** How log records are written. */
export type LogFormat = 'json' | 'text';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 20: '\x1b[90m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
/** Fields every record has, shown by position rather than as key=value. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/** One JSON log record as one human line (without the newline); a line that is not JSON is returned as is. */
export function humanLine(json: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '';
  const name = LEVELS[level] ?? String(level);
  const tag = color ? `${COLORS[level] ?? ''}${name}\x1b[0m` : name;
  const fields = Object.entries(record)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return [time, tag, String(record.msg ?? ''), ...fields].filter((s) => s !== '').join(' ');
}

/** A destination that writes each JSON record as a human line to `out`. */
export function humanDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      let newline: number;
      let text = '';
      while ((newline = pending.indexOf('\n')) >= 0) {
        text += `${humanLine(pending.slice(0, newline), out.isTTY === true)}\n`;
        pending = pending.slice(newline + 1);
      }
      if (text) out.write(text);
      done();
    },
  });
}

/** The default format: text on a terminal, JSON otherwise. */
export function defaultLogFormat(stream: { isTTY?: boolean }): LogFormat {
  return stream.isTTY ? 'text' : 'json';
}
