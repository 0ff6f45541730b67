/**
 * Crash-safe file writes in a repository (spec ostree.md §2.3, §9): a uniquely named temporary
 * file in the target's filesystem, fsynced, moved into place, then the directory fsynced. Nothing
 * partial is ever visible under the final name. The steps are writeAtomic's (src/io/fs.ts).
 */
import { dirname } from 'node:path';
import { type Fs, ensureDir, nodeFs, writeAtomic } from './fs.js';

export interface AtomicOptions {
  /** Directory for the temporary file (same filesystem as the target); default: the target's. */
  tmpDir?: string;
  /** File mode; default 0o644. */
  mode?: number;
  /** Keep an existing file instead of replacing it (content-addressed objects). */
  noReplace?: boolean;
  /** Where the writes go (default node:fs; crash tests inject failures). */
  fs?: Fs;
}

/** Writes `data` to `path` atomically, creating its directory; returns false when `noReplace` kept an existing file. */
export function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicOptions = {}): boolean {
  const f = opts.fs ?? nodeFs;
  ensureDir(f, dirname(path), 0o777);
  // A unique temp name: several writers (worker threads, processes) share tmpDir.
  return writeAtomic(f, path, data, { tmpDir: opts.tmpDir, mode: opts.mode, noReplace: opts.noReplace, sync: true, syncDir: true });
}
