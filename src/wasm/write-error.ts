/** The errors of the composefs writer, as C mkcomposefs reports them (spec composefs-image.md §2.11, §3.5). */
import { CfsError } from '../errors.js';

/** strerror() texts of the errno values the C writer reports. */
const STRERROR = {
  EINVAL: 'Invalid argument',
  EFBIG: 'File too large',
  ELOOP: 'Too many levels of symbolic links',
  ERANGE: 'Numerical result out of range',
  ENOTDIR: 'Not a directory',
} as const;
export type WriteErrno = keyof typeof STRERROR;

/** The error mkcomposefs prints as "cannot write file: <strerror>", naming the node at fault. */
export function writeError(errno: WriteErrno, where: string, detail?: string): CfsError {
  return new CfsError(`cannot write file: ${STRERROR[errno]}`, {
    field: detail ? `${where}: ${detail}` : where,
    code: errno,
  });
}
