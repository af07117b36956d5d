/**
 * The bounds of reading declarations: what one file may cost the loader (CLI and reconciler
 * alike). How much of a value a problem may echo is MAX_ECHO in src/model/quote.ts.
 */

/** Largest declaration file read, in bytes; a real one is a few KiB. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deepest nesting of YAML collections in one file; a declaration needs about 6. */
export const MAX_DEPTH = 64;
/** Most YAML aliases (`*name`) in one file; expansion is bounded separately by `yaml`'s own count. */
export const MAX_ALIASES = 100;
/** A size in bytes the way a limit message states it: `1.0 MiB`, `12.3 KiB`. */
export function formatBytes(n: number): string {
  const unit = (size: number, name: string) => `${Number.isInteger(n / size) ? n / size : (n / size).toFixed(1)} ${name}`;
  return n >= 1024 * 1024 ? unit(1024 * 1024, 'MiB') : n >= 1024 ? unit(1024, 'KiB') : `${n} bytes`;
}

/** The problem of a file of `bytes` over MAX_FILE_BYTES. */
export function tooLarge(bytes: number): string {
  return `file is ${formatBytes(bytes)} (${bytes} bytes); a declaration file may be at most ${formatBytes(MAX_FILE_BYTES)}`;
}
