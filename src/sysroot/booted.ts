/**
 * Which deployment runs this system (spec ostree.md §3.8 step 2, §5.4; docs/FORMAT.md "The
 * booted system"). The system is booted only when `/run/ostree-booted` exists and the sysroot is
 * the running root (`--sysroot` defaults to `/`). The running deployment is then, in order:
 *
 *  1. the one whose directory has the (dev, ino) the marker's `backing-root-device-inode` records
 *     (ostree since 2023.x);
 *  2. else the one whose directory has the (dev, ino) of `/` (ostree 2022.7: cfskit's prepare-root
 *     binds the composefs root over the deployment directory, so both hold);
 *  3. else the one the `ostree=` bootlink of the kernel command line leads to.
 *
 * None of them → the error ostree gives ("Unexpected state"): nothing may then treat the running
 * deployment as removable.
 */
import { CfsError } from '../errors.js';
import { decode, lookup, type VarDict } from '../formats/gvariant.js';
import { parseKargs } from '../formats/kargs.js';
import { type Fs, nodeFs } from '../io/fs.js';
import type { Deployment } from './deployments.js';
import { paths } from './layout.js';

/** Where the running system is seen from: tests point these at a fake root. */
export interface BootedEnv {
  /** The running root (`/`). */
  root: string;
  /** Its runtime directory (`/run`). */
  run: string;
  /** The kernel command line (`/proc/cmdline`). */
  cmdline: string;
}

export const HOST_ENV: BootedEnv = { root: '/', run: '/run', cmdline: '/proc/cmdline' };

/** OTCORE_RUN_BOOTED, relative to /run. */
export const BOOTED_MARKER = 'ostree-booted';
/** OTCORE_RUN_BOOTED_KEY_BACKING_ROOTDEVINO: `(tt)` = (st_dev, st_ino). */
export const BACKING_ROOT_KEY = 'backing-root-device-inode';
/** The marker is a small a{sv} and a command line is at most a few KiB: more is refused. */
const MAX_BYTES = 64 * 1024;

export const bootedMarkerPath = (env: BootedEnv): string => `${env.run}/${BOOTED_MARKER}`;

interface DevIno {
  dev: bigint;
  ino: bigint;
}

const devIno = (st: { dev: number; ino: number }): DevIno => ({ dev: BigInt(st.dev), ino: BigInt(st.ino) });
const same = (a: DevIno, b: DevIno) => a.dev === b.dev && a.ino === b.ino;

/** A small file read whole; a larger one is refused before it is read. */
function readSmall(file: string, f: Fs): Buffer {
  const st = f.stat(file);
  if (st && st.size > MAX_BYTES) throw new CfsError(`${st.size} bytes, more than the ${MAX_BYTES} this file may have`, { file, code: 'ESYSROOT' });
  return f.readFile(file);
}

/** The marker's a{sv} (little-endian, as prepare-root writes it); an empty file is an empty dict (2022.7). */
export function readBootedMarker(file: string, f: Fs = nodeFs): VarDict {
  return decode('a{sv}', readSmall(file, f), 'le', file) as VarDict;
}

/** `backing-root-device-inode` of the marker, when present and well typed. */
function backingRoot(marker: VarDict, file: string): DevIno | undefined {
  const v = lookup(marker, BACKING_ROOT_KEY);
  if (!v) return undefined;
  if (v.type !== '(tt)') throw new CfsError(`${BACKING_ROOT_KEY} has type ${v.type}, expected (tt)`, { file, field: BACKING_ROOT_KEY, code: 'ESYSROOT' });
  const [dev, ino] = v.value as [bigint, bigint];
  return { dev, ino };
}

/** True when `sysroot` is the running root and the marker exists: the state ostree calls booted. */
export function isBootedSysroot(sysroot: string, env: BootedEnv = HOST_ENV, f: Fs = nodeFs): boolean {
  if (!f.lstat(bootedMarkerPath(env))) return false;
  const root = f.stat(env.root);
  const sys = f.stat(sysroot);
  return root !== undefined && sys !== undefined && same(devIno(root), devIno(sys));
}

/** The running deployment among `list` (the header's rules), or undefined when not booted. */
export function findBooted(sysroot: string, list: Deployment[], env: BootedEnv = HOST_ENV, f: Fs = nodeFs): Deployment | undefined {
  if (!isBootedSysroot(sysroot, env, f)) return undefined;
  const marker = bootedMarkerPath(env);
  const dirOf = (d: Deployment) => {
    const st = f.stat(paths.deployment(sysroot, d.stateroot, d));
    return st ? devIno(st) : undefined;
  };
  const withDir = (want: DevIno) => list.find((d) => {
    const got = dirOf(d);
    return got !== undefined && same(got, want);
  });
  const backing = backingRoot(readBootedMarker(marker, f), marker);
  const found = backing ? withDir(backing) : withDir(devIno(f.stat(env.root)!)) ?? fromCmdline(sysroot, env, f, withDir);
  if (found) return found;
  throw new CfsError(`Unexpected state: ${marker} found and in / sysroot, but bootloader entry not found`, { file: sysroot, code: 'ESYSROOT' });
}

/** The deployment the command line's `ostree=` bootlink leads to (while that bootlink exists). */
function fromCmdline(sysroot: string, env: BootedEnv, f: Fs, withDir: (want: DevIno) => Deployment | undefined): Deployment | undefined {
  if (!f.lstat(env.cmdline)) return undefined;
  const arg = parseKargs(readSmall(env.cmdline, f).toString('latin1').trim()).find((a) => a.startsWith('ostree='));
  const st = arg ? f.stat(`${sysroot}${arg.slice('ostree='.length)}`) : undefined;
  return st ? withDir(devIno(st)) : undefined;
}
