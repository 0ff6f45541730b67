/**
 * Crash-safe file writes in a repository (spec ostree.md §2.3, §9): a uniquely named temporary
 * file in the target's filesystem, fsynced, moved into place, then the directory fsynced. Nothing
 * partial is ever visible under the final name. The temp+fsync+rename step is writeViaTemp.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeFs, removeIfExists, writeViaTemp } from './fs.js';
import { tempPath } from './temp-name.js';

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
  // A unique temp name: several writers (worker threads, processes) share tmpDir.
  const tmp = tempPath(opts.tmpDir ?? dir);
  let placed: boolean;
  try {
    placed = writeViaTemp(nodeFs, tmp, path, data, { mode: opts.mode, sync: true, noReplace: opts.noReplace });
  } catch (e) {
    removeIfExists(nodeFs, tmp);
    throw e;
  }
  nodeFs.fsync(dir);
  return placed;
}
