/**
 * The one naming scheme of cfskit's temp files, so that whoever finds one can tell whether its
 * process still runs: `.cfskit-tmp.<pid>.<tag>.<random>`, tag = processTag (src/io/process-id.ts: a
 * hash of host, boot id, pid and process start time). A temp file is reclaimable when no process
 * with its pid runs or the one that does has another tag (a reboot, pid reuse). On hosts without
 * /proc the tag covers host and pid only, so a temp file whose pid runs is also reclaimed once it
 * is older than TEMP_MAX_AGE_MS.
 *
 * A process registers the temp files it is writing (ownTemp); SIGINT and SIGTERM remove them and
 * exit with 130 and 143 (128 + the signal, as a shell reports a process killed by it), and so
 * does any exit. Only kill -9 or a power cut leaves them: prune, fsck and admin cleanup reclaim.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bootId, pidExists, processTag } from './process-id.js';

export const TEMP_PREFIX = '.cfskit-tmp.';
/** Age after which a temp file is reclaimed on hosts without /proc even when its pid runs. */
export const TEMP_MAX_AGE_MS = 24 * 3600 * 1000;
const NAME = /^\.cfskit-tmp\.([1-9][0-9]*)\.([0-9a-f]{12})\.[0-9a-f]+$/;

let ownTag: string | undefined;

/** A fresh temp path in `dir` owned by this process. */
export function tempPath(dir: string): string {
  ownTag ??= processTag(process.pid);
  return join(dir, `${TEMP_PREFIX}${process.pid}.${ownTag}.${randomBytes(6).toString('hex')}`);
}

/** True for a name of the temp scheme. */
export function isTempName(name: string): boolean {
  return NAME.test(name);
}

/** True when the process that named temp file `name` may still be writing it. */
export function tempOwnerAlive(name: string, mtimeMs: number): boolean {
  const m = NAME.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (!pidExists(pid) || processTag(pid) !== m[2]) return false;
  return bootId() !== null || Date.now() - mtimeMs < TEMP_MAX_AGE_MS;
}

const owned = new Set<string>();
let handlersInstalled = false;

/** Registers a temp file this process is writing: removed on SIGINT, SIGTERM and exit. */
export function ownTemp(path: string): void {
  owned.add(path);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', removeOwned);
  process.on('SIGINT', () => exitOnSignal(130));
  process.on('SIGTERM', () => exitOnSignal(143));
}

/** The temp file is gone (renamed into place or removed): no longer ours to clean. */
export function disownTemp(path: string): void {
  owned.delete(path);
}

function removeOwned(): void {
  for (const path of owned) rmSync(path, { force: true, recursive: true });
  owned.clear();
}

function exitOnSignal(code: number): void {
  removeOwned();
  process.exit(code);
}

export interface Reclaimed {
  /** Paths removed. */
  paths: string[];
  bytes: number;
}

/**
 * Removes the temp files in `dirs` (not recursive) whose process is gone; a missing directory is
 * fine. With `dryRun` only counts them.
 */
export function reclaimTemps(dirs: string[], opts: { dryRun?: boolean } = {}): Reclaimed {
  const out: Reclaimed = { paths: [], bytes: 0 };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const path = join(dir, name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st || tempOwnerAlive(name, st.mtimeMs)) continue;
      if (!opts.dryRun) {
        try {
          unlinkSync(path);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
      }
      out.paths.push(path);
      out.bytes += st.size;
    }
  }
  return out;
}
