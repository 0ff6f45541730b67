/**
 * Crash-safe file writes (spec ostree.md §2.3, §9): write a temporary file in the target's
 * filesystem, fsync it, move it into place, fsync the directory. Nothing partial is ever visible
 * under the final name.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

export interface AtomicOptions {
  /** Directory for the temporary file (same filesystem as the target); default: the target's. */
  tmpDir?: string;
  /** File mode; default 0o644. */
  mode?: number;
  /** Keep an existing file instead of replacing it (content-addressed objects). */
  noReplace?: boolean;
}

/** Writes `data` to `path` atomically; returns false when `noReplace` kept an existing file. */
export function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicOptions = {}): boolean {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(opts.tmpDir ?? dir, `.tmp-${randomBytes(8).toString('hex')}`);
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  let placed = true;
  try {
    // link(2) refuses to replace: the "rename-noreplace" ostree uses for objects (spec §2.3).
    if (opts.noReplace) linkSync(tmp, path);
    else renameSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    placed = false;
  } finally {
    if (opts.noReplace) unlinkSync(tmp);
  }
  fsyncDir(dir);
  return placed;
}

/** fsync a directory so a rename or new entry in it is durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
