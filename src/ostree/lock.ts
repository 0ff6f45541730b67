/**
 * The cfskit writer lock of a repository. ostree locks `.lock` with OFD/flock locks (spec
 * ostree.md §2.11), which Node cannot take without native code, so cfskit writers (commit, prune)
 * serialize on their own lock file instead: `.cfskit-lock`, created with O_EXCL and holding
 * "PID HOSTNAME". A waiter polls until the holder removes it; a lock left by a dead process on
 * this host is broken. cfskit therefore does not exclude concurrent *ostree* writers (documented).
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import type { Repo } from './repo.js';

export const LOCK_NAME = '.cfskit-lock';

/** Runs `fn` holding the repository's writer lock; waits up to core.lock-timeout-secs (300 s). */
export async function withRepoLock<T>(repo: Repo, fn: () => Promise<T> | T): Promise<T> {
  const path = join(repo.path, LOCK_NAME);
  const timeoutSecs = Number(repo.config.getValue('core', 'lock-timeout-secs') ?? 300);
  const deadline = Date.now() + (Number.isFinite(timeoutSecs) ? timeoutSecs : 300) * 1000;
  const owner = `${process.pid} ${hostname()}\n`;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    if (tryCreate(path, owner)) break;
    breakIfStale(path);
    if (Date.now() > deadline)
      throw new CfsError(`timed out waiting for the repository lock (held by ${holder(path) ?? 'unknown'})`, { file: path, code: 'ELOCKED' });
    await new Promise((r) => setTimeout(r, delay));
  }
  try {
    return await fn();
  } finally {
    if (holder(path) === owner) unlinkSync(path);
  }
}

function tryCreate(path: string, owner: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new CfsError(`cannot take the repository lock (${code})`, { file: path, code: 'ELOCK' }, { cause: e });
  }
  try {
    writeSync(fd, owner);
  } finally {
    closeSync(fd);
  }
  return true;
}

function holder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Removes the lock when its holder is a process of this host that no longer exists. */
function breakIfStale(path: string): void {
  const content = holder(path);
  const m = content ? /^(\d+) (.*)\n$/.exec(content) : null;
  if (!m || m[2] !== hostname() || isAlive(Number(m[1]))) return;
  // Re-read right before unlinking so a lock taken since is left alone.
  if (holder(path) === content) {
    try {
      unlinkSync(path);
    } catch {
      /* another waiter broke it first */
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
