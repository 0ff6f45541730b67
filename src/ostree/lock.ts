/**
 * The cfskit writer lock of a repository. ostree locks `.lock` with OFD/flock locks (spec
 * ostree.md §2.11); cfskit writers (commit, prune) serialize on their own lock file `.cfskit-lock`
 * instead (see src/io/lockfile.ts). cfskit therefore does not exclude concurrent *ostree* writers
 * (documented).
 */
import { join } from 'node:path';
import { LOCK_TIMEOUT_MS, withLockFile } from '../io/lockfile.js';
import type { Repo } from './repo.js';

export const LOCK_NAME = '.cfskit-lock';

/** Runs `fn` holding the repository's writer lock; waits up to core.lock-timeout-secs (300 s). */
export function withRepoLock<T>(repo: Repo, fn: () => Promise<T> | T): Promise<T> {
  const secs = Number(repo.config.getValue('core', 'lock-timeout-secs') ?? LOCK_TIMEOUT_MS / 1000);
  const timeoutMs = Number.isFinite(secs) ? secs * 1000 : LOCK_TIMEOUT_MS;
  return withLockFile(join(repo.path, LOCK_NAME), 'repository lock', fn, { timeoutMs });
}
