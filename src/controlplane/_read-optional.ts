// Reading a file of a state dir that may not exist yet.
import { readFile } from 'node:fs/promises';

/** The file's text, or undefined when there is no such file; other errors are thrown. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
