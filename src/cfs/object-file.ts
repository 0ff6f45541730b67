/**
 * Opening a store object an image names (after backing-path.ts checked the name): its `XX/`
 * directory must be a real directory and the object a regular file, opened with O_NOFOLLOW so a
 * symlink planted in the store cannot lead outside it; optionally its size and fs-verity digest
 * must be the ones the image records.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { FsverityHasher } from '../fsverity/index.js';

const READ_CHUNK = 1 << 20;

export interface ObjectCheck {
  /** The file size the image records. */
  size?: bigint;
  /** Hash the content and compare it with the name. */
  digest?: boolean;
}

/** Path of object `hex` under `objectsDir` once it passes the checks; a CfsError naming it otherwise. */
export function checkObject(objectsDir: string, hex: string, check: ObjectCheck = {}): string {
  const dir = join(objectsDir, hex.slice(0, 2));
  const path = join(dir, hex.slice(2));
  const fail = (reason: string) => new CfsError(reason, { file: path, code: 'EOBJECT' });
  const dirStat = lstatSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw fail(`object ${hex} is missing`);
  if (!dirStat.isDirectory()) throw fail(`object directory ${hex.slice(0, 2)} is not a directory`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? `object ${hex} is missing` : code === 'ELOOP' ? `object ${hex} is a symbolic link` : `object ${hex} cannot be opened (${code})`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw fail(`object ${hex} is not a regular file`);
    if (check.size !== undefined && st.size !== check.size) throw fail(`object ${hex} has ${st.size} bytes, the image says ${check.size}`);
    if (check.digest) {
      const h = new FsverityHasher();
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (let n; (n = readSync(fd, buf, 0, READ_CHUNK, null)) > 0; ) h.update(buf.subarray(0, n));
      const actual = h.digest().hex;
      if (actual !== hex) throw fail(`content does not match its name: fs-verity digest ${actual}`);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
