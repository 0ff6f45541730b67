/**
 * The sysroot lock. ostree takes an exclusive OFD lock on `ostree/lock` (ostree.md §2.11); cfskit
 * processes serialize on their own lock file `ostree/cfskit.lock` instead (see src/io/lockfile.ts).
 * This does not exclude a concurrent real `ostree` process (documented limitation: don't run both
 * on one sysroot at once).
 */
import { type HeldLock, type LockOptions, acquireLockFile, withLockFile } from '../io/lockfile.js';

export const LOCK_NAME = 'ostree/cfskit.lock';
const WHAT = 'sysroot lock';

/** Takes the lock of the sysroot at `sysroot`, waiting while another cfskit process holds it. */
export function lockSysroot(sysroot: string, opts: LockOptions = {}): Promise<HeldLock> {
  return acquireLockFile(`${sysroot}/${LOCK_NAME}`, WHAT, opts);
}

/** Runs `fn` under the sysroot lock. */
export function withSysrootLock<T>(sysroot: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withLockFile(`${sysroot}/${LOCK_NAME}`, WHAT, fn, opts);
}
