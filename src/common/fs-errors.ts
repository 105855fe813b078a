import { errorMessage } from './errors.ts';

/**
 * A file system error as one short reason ("no such file or directory"), without Node's "ENOENT: …, open
 * '/path/.x.tmp'" wording: the caller names the file the user gave, not a temporary one.
 */
export function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return errorMessage(error);
  }
}
