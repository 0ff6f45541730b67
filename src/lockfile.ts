/**
 * One advisory lock file, shared by cfskit processes. ostree locks with OFD/flock locks (spec
 * ostree.md §2.11), which Node cannot take without native code, so cfskit serializes its own
 * writers on a lock file instead: created atomically with link(2), holding `<pid> <hostname>
 * <nonce>`. A waiter polls until the holder removes it; a lock left by a dead process on this host
 * is broken. This does not exclude a concurrent real `ostree` process (documented limitation).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CfsError } from './errors.js';

/** ostree's default `core.lock-timeout-secs` (spec ostree.md §2.2). */
export const LOCK_TIMEOUT_MS = 300_000;

export interface LockOptions {
  timeoutMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: string) => void;
}

export interface HeldLock {
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** True when the holder line names a process on this host that no longer exists. */
function isStale(holder: string): boolean {
  const [pid, host] = holder.trim().split(' ');
  if (host !== hostname() || !/^[0-9]+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return errno(e) === 'ESRCH';
  }
}

/** Moves a stale lock aside; restores it if it changed hands meanwhile. */
function breakStale(path: string, seen: string): void {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  if (readHolder(aside) !== seen) {
    try {
      linkSync(aside, path);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
  }
  unlinkSync(aside);
}

/**
 * Creates lock file `path` (atomically, with its holder line), waiting while another process holds
 * it; after `timeoutMs` fails with ELOCKED naming the holder. `what` names the lock in messages.
 */
export async function acquireLockFile(path: string, what: string, opts: LockOptions = {}): Promise<HeldLock> {
  const me = `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')}\n`;
  const tmp = `${path}.${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, me, { mode: 0o644 });
  const deadline = Date.now() + (opts.timeoutMs ?? LOCK_TIMEOUT_MS);
  let waited = false;
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const holder = readHolder(path);
      if (holder === undefined) continue;
      if (isStale(holder)) {
        breakStale(path, holder);
        continue;
      }
      if (!waited) opts.onWait?.(holder.trim());
      waited = true;
      if (Date.now() >= deadline) {
        throw new CfsError(`timed out waiting for the ${what} (held by ${holder.trim()})`, { file: path, code: 'ELOCKED' });
      }
      await sleep(delay);
    }
  } finally {
    unlinkSync(tmp);
  }
  const onExit = () => release();
  process.once('exit', onExit);
  let held = true;
  function release(): void {
    if (!held) return;
    held = false;
    process.removeListener('exit', onExit);
    if (readHolder(path) === me) unlinkSync(path);
  }
  return { release };
}

/** Runs `fn` holding lock file `path`. */
export async function withLockFile<T>(path: string, what: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLockFile(path, what, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
