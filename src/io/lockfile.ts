/**
 * One advisory lock file, shared by cfskit processes. ostree locks with OFD/flock locks (spec
 * ostree.md §2.11), which Node cannot take without native code, so cfskit serializes its own
 * writers on a lock file instead: written to a temp file, fsynced, then created atomically with
 * link(2). The holder line names the process so that a lock cannot outlive it:
 *
 *   `<pid> <hostname> <nonce> boot=<boot id> start=<start time>`
 *
 * boot id from /proc/sys/kernel/random/boot_id, start time = field 22 of /proc/PID/stat (clock
 * ticks since boot). A lock of this host is stale when its boot id is not ours (a reboot), its pid
 * does not exist, or the process with that pid started at another time (pid reuse). Hosts without
 * /proc (macOS, Windows) write `-` for both and fall back to the pid alone. A lock that is empty or
 * unreadable (a crash before its bytes reached the disk) is stale. A lock of another host cannot
 * be checked from here: it is refused at once with a line naming the host and the file to remove.
 * A waiter says so on stderr after a second. This does not exclude a concurrent real `ostree`
 * process (documented limitation).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { CfsError } from '../errors.js';
import { bootId, pidExists, processStart } from './process-id.js';
import { disownTemp, ownTemp, tempPath } from './temp-name.js';

/** ostree's default `core.lock-timeout-secs` (spec ostree.md §2.2). */
export const LOCK_TIMEOUT_MS = 300_000;
/** A busy lock is reported on stderr once it has been waited for this long. */
export const LOCK_NOTICE_MS = 1000;

export interface LockOptions {
  timeoutMs?: number;
  /** Called once when the lock has been busy for LOCK_NOTICE_MS; default: a line on stderr. */
  onWait?: (holder: string) => void;
}

export interface HeldLock {
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** What a holder line says about its process. */
export type Liveness = 'alive' | 'dead' | 'foreign';

/** Judges a holder line (see the header); an empty or unparseable line is dead. */
export function holderLiveness(line: string): Liveness {
  const [pidText, host, , ...rest] = line.trim().split(' ');
  if (!/^[1-9][0-9]*$/.test(pidText ?? '') || !host) return 'dead';
  if (host !== hostname()) return 'foreign';
  const pid = Number(pidText);
  const field = (k: string) => rest.find((r) => r.startsWith(`${k}=`))?.slice(k.length + 1);
  const boot = field('boot');
  if (boot && boot !== '-' && bootId() !== null && boot !== bootId()) return 'dead';
  if (!pidExists(pid)) return 'dead';
  const start = field('start');
  if (start && start !== '-') {
    const now = processStart(pid);
    if (now !== null && now !== start) return 'dead';
  }
  return 'alive';
}

function ownHolderLine(): string {
  return `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')} boot=${bootId() ?? '-'} start=${processStart(process.pid) ?? '-'}\n`;
}

/** Moves a stale lock aside; restores it if it changed hands meanwhile. */
function breakStale(path: string, seen: string): void {
  const aside = tempPath(dirname(path));
  ownTemp(aside);
  try {
    renameSync(path, aside);
  } catch (e) {
    disownTemp(aside);
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  if (readText(aside) !== seen) {
    try {
      linkSync(aside, path);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
  }
  unlinkSync(aside);
  disownTemp(aside);
}

/** Writes the holder line to a fresh temp file beside the lock and fsyncs it, so a linked lock is never empty. */
function writeHolder(dir: string, line: string): string {
  const tmp = tempPath(dir);
  ownTemp(tmp);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

const describe = (holder: string) => {
  const [pid, host] = holder.trim().split(' ');
  return `pid ${pid} on ${host}`;
};

/**
 * Creates lock file `path` (atomically, with its holder line), waiting while another live process
 * holds it; after `timeoutMs` fails with ELOCKED naming the holder. `what` names the lock in messages.
 */
export async function acquireLockFile(path: string, what: string, opts: LockOptions = {}): Promise<HeldLock> {
  const me = ownHolderLine();
  const tmp = writeHolder(dirname(path), me);
  const start = Date.now();
  const deadline = start + (opts.timeoutMs ?? LOCK_TIMEOUT_MS);
  const onWait = opts.onWait ?? ((h: string) => process.stderr.write(`cfskit: waiting for the ${what} ${path} (held by ${describe(h)})\n`));
  let told = false;
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const holder = readText(path);
      if (holder === undefined) continue;
      const state = holderLiveness(holder);
      if (state === 'dead') {
        breakStale(path, holder);
        continue;
      }
      if (state === 'foreign') {
        throw new CfsError(`the ${what} is held by ${describe(holder)}, another host, which cfskit cannot check: remove the file if no cfskit runs there`, { file: path, code: 'ELOCKED' });
      }
      if (!told && Date.now() - start >= LOCK_NOTICE_MS) {
        told = true;
        onWait(holder.trim());
      }
      if (Date.now() >= deadline) {
        throw new CfsError(`timed out waiting for the ${what} (held by ${describe(holder)})`, { file: path, code: 'ELOCKED' });
      }
      await sleep(delay);
    }
  } finally {
    unlinkSync(tmp);
    disownTemp(tmp);
  }
  const onExit = () => release();
  process.once('exit', onExit);
  let held = true;
  function release(): void {
    if (!held) return;
    held = false;
    process.removeListener('exit', onExit);
    if (readText(path) === me) unlinkSync(path);
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
