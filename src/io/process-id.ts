/**
 * Which process is this, and does a process named so still run: boot id
 * (/proc/sys/kernel/random/boot_id), pid and start time (field 22 of /proc/PID/stat, clock ticks
 * since boot). Together they survive reboots and pid reuse; hosts without /proc (macOS, Windows)
 * have the pid alone. Used by lock files (src/io/lockfile.ts) and temp names (src/io/temp-name.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

let bootIdCache: string | null | undefined;
/** This boot's id, or null on a host without /proc. */
export function bootId(): string | null {
  if (bootIdCache === undefined) bootIdCache = readTextOrNull('/proc/sys/kernel/random/boot_id')?.trim() || null;
  return bootIdCache;
}

/** Start time of process `pid` (clock ticks since boot), or null when /proc does not say. */
export function processStart(pid: number): string | null {
  const stat = readTextOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // comm (field 2) may hold spaces and parentheses: fields resume after its last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null;
}

function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (on this host). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) !== 'ESRCH';
  }
}

/** A short tag of process `pid` on this host and boot: equal tags mean the same process. */
export function processTag(pid: number): string {
  return createHash('sha256').update(`${hostname()}|${bootId() ?? '-'}|${pid}|${processStart(pid) ?? '-'}`).digest('hex').slice(0, 12);
}
