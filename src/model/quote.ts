/** How a problem message quotes a user's value: never more than MAX_ECHO characters of it. */

/** Most characters of a user's value a problem message quotes. */
export const MAX_ECHO = 200;

/** `text` cut to MAX_ECHO characters with an ellipsis, for quoting a user's value in a message. */
export function clip(text: string, max = MAX_ECHO): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `value` as JSON for a message, clipped: long strings keep their first MAX_ECHO characters. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return text(value);
  const json = JSON.stringify(value) ?? String(value);
  return clip(json);
}

function text(s: string): string {
  return s.length > MAX_ECHO ? `${JSON.stringify(s.slice(0, MAX_ECHO)).slice(0, -1)}…"` : JSON.stringify(s);
}

