/**
 * The filesystem operations repository, store and sysroot code performs, behind one small
 * interface so a test can inject a failure at every write (crash-safety tests wrap `nodeFs`).
 * Every mutating call is one write step; reads are never faults. Paths are strings or raw-byte
 * Buffers (etc/ entries carry byte names).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { CfsError } from '../errors.js';
import { disownTemp, ownTemp, tempPath } from './temp-name.js';

export type FsPath = string | Buffer;

export interface Fs {
  /** mkdir(2): fails with EEXIST if present. */
  mkdir(path: FsPath, mode: number): void;
  /** Creates or truncates a file with `mode` and writes `data`. */
  writeFile(path: FsPath, data: Uint8Array | string, mode: number): void;
  /** Copies a regular file's bytes in chunks into a new file `dst` (EEXIST if present). */
  copyFile(src: FsPath, dst: FsPath, mode: number): void;
  link(existing: FsPath, path: FsPath): void;
  symlink(target: FsPath, path: FsPath): void;
  rename(from: FsPath, to: FsPath): void;
  unlink(path: FsPath): void;
  rmdir(path: FsPath): void;
  chmod(path: FsPath, mode: number): void;
  lchown(path: FsPath, uid: number, gid: number): void;
  /** Sets atime and mtime (seconds) without following a final symlink. */
  lutimes(path: FsPath, atime: number, mtime: number): void;
  /** fsync(2) on a file or directory (see syncPath: directories are skipped on win32). */
  fsync(path: FsPath): void;
  /** syncfs(2) of the filesystem holding `path` (see syncFilesystem); false where there is none. */
  syncfs(path: FsPath): Promise<boolean>;
  /** Creates a new file (EEXIST if present) with `mode` for writing; returns its descriptor. */
  open(path: FsPath, mode: number): number;
  /** Writes all of `data` at the descriptor's position. */
  write(fd: number, data: Uint8Array): void;
  /** A reflink copy (FICLONE) of `src` to a new file `dst`; fails where the filesystem has none. */
  reflink(src: FsPath, dst: FsPath): void;
  /** close(2) of a descriptor from `open` (not a write step). */
  close(fd: number): void;

  lstat(path: FsPath): fs.Stats | undefined;
  stat(path: FsPath): fs.Stats | undefined;
  readlink(path: FsPath): Buffer | undefined;
  readdir(path: FsPath): Buffer[];
  readFile(path: FsPath): Buffer;
}

const COPY_CHUNK = 1 << 20;

function missing<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** The real implementation: node:fs, synchronous. */
export const nodeFs: Fs = {
  mkdir: (p, mode) => fs.mkdirSync(p, { mode }),
  writeFile: (p, data, mode) => {
    const fd = fs.openSync(p, 'w', mode);
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  },
  copyFile: (src, dst, mode) => {
    const input = fs.openSync(src, 'r');
    try {
      const out = fs.openSync(dst, 'wx', mode);
      try {
        const buf = Buffer.allocUnsafe(COPY_CHUNK);
        for (;;) {
          const n = fs.readSync(input, buf, 0, COPY_CHUNK, null);
          if (n === 0) break;
          for (let off = 0; off < n; ) off += fs.writeSync(out, buf, off, n - off);
        }
      } finally {
        fs.closeSync(out);
      }
    } finally {
      fs.closeSync(input);
    }
  },
  link: (a, b) => fs.linkSync(a, b),
  symlink: (t, p) => createSymlink(t, p),
  rename: (a, b) => fs.renameSync(a, b),
  unlink: (p) => fs.unlinkSync(p),
  rmdir: (p) => fs.rmdirSync(p),
  chmod: (p, mode) => fs.chmodSync(p, mode),
  lchown: (p, uid, gid) => fs.lchownSync(p, uid, gid),
  lutimes: (p, a, m) => fs.lutimesSync(p, a, m),
  fsync: (p) => {
    syncPath(p);
  },
  syncfs: (p) => syncFilesystem(p),
  open: (p, mode) => fs.openSync(p, 'wx', mode),
  write: (fd, data) => {
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
  },
  reflink: (src, dst) => fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE_FORCE),
  close: (fd) => fs.closeSync(fd),
  lstat: (p) => missing(() => fs.lstatSync(p)),
  stat: (p) => missing(() => fs.statSync(p)),
  readlink: (p) => missing(() => fs.readlinkSync(p, { encoding: 'buffer' })),
  readdir: (p) => fs.readdirSync(p, { encoding: 'buffer' }),
  readFile: (p) => fs.readFileSync(p),
};

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Why a Windows process may not create a symlink, and the settings that allow it. */
export const SYMLINK_PRIVILEGE_HINT =
  'this Windows account may not create symbolic links: turn on Developer Mode (Settings > For developers) ' +
  'or grant it SeCreateSymbolicLinkPrivilege (Local Security Policy > User Rights Assignment > Create symbolic links)';

/**
 * symlink(2). On win32 a refusal (EPERM) or a link that did not appear (Wine reports success and
 * creates nothing) is a CfsError naming the setting that allows symlinks.
 */
export function createSymlink(target: FsPath, path: FsPath, platform: NodeJS.Platform = process.platform): void {
  try {
    fs.symlinkSync(target, path);
  } catch (e) {
    if (platform === 'win32' && errno(e) === 'EPERM') throw symlinkRefused(path, e);
    throw e;
  }
  if (platform === 'win32' && !fs.lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) throw symlinkRefused(path);
}

function symlinkRefused(path: FsPath, cause?: unknown): CfsError {
  return new CfsError(`cannot create a symbolic link: ${SYMLINK_PRIVILEGE_HINT}`, { file: path.toString(), code: 'ESYMLINK' }, { cause });
}

/** What syncPath did: flushed a file or a directory, or skipped a directory the platform cannot flush. */
export type SyncKind = 'file' | 'dir' | 'skipped';

/**
 * fsync(2) of one path, on every OS. A file is flushed through a descriptor opened for writing
 * (Windows' FlushFileBuffers refuses a read-only handle); where that open is refused (a 0444 file of
 * another user) POSIX systems flush through a read-only one. A directory is flushed where the platform
 * can open one: on win32 it cannot, and NTFS makes a rename durable once the renamed file is flushed.
 */
export function syncPath(path: FsPath, platform: NodeJS.Platform = process.platform): SyncKind {
  const dir = fs.statSync(path).isDirectory();
  if (dir && platform === 'win32') return 'skipped';
  const fd = openForSync(path, dir, platform);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return dir ? 'dir' : 'file';
}

/**
 * syncfs(2) of the filesystem holding `path`: every file and directory on it written before the
 * call is durable once this resolves true. Node cannot call syncfs, coreutils' `sync -f PATH` does
 * (Linux; a child process, so the caller goes on meanwhile). False on other platforms and when
 * `sync` is missing or fails: the caller then fsyncs each file.
 */
export function syncFilesystem(path: FsPath, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn('sync', ['-f', path.toString()], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (status) => resolve(status === 0));
  });
}

function openForSync(path: FsPath, dir: boolean, platform: NodeJS.Platform): number {
  if (dir) return fs.openSync(path, 'r');
  try {
    return fs.openSync(path, 'r+');
  } catch (e) {
    if (platform === 'win32' || (errno(e) !== 'EACCES' && errno(e) !== 'EPERM' && errno(e) !== 'EROFS')) throw e;
    return fs.openSync(path, 'r');
  }
}

/** Joins path parts: strings with '/', Buffers byte-exact. */
export function joinPath(base: FsPath, ...parts: (string | Uint8Array)[]): FsPath {
  if (typeof base === 'string' && parts.every((p) => typeof p === 'string')) {
    return [base, ...(parts as string[])].filter((p) => p !== '').join('/');
  }
  const bufs: Buffer[] = [Buffer.from(base as never)];
  for (const p of parts) {
    if (p.length === 0) continue;
    bufs.push(Buffer.from('/'), Buffer.from(p as never));
  }
  return Buffer.concat(bufs);
}

export interface PlaceOptions {
  /** fsync the temp file before it is moved (default true; false when its descriptor was fsynced). */
  sync?: boolean;
  /** Keep an existing `path` instead of replacing it (content-addressed objects). */
  noReplace?: boolean;
}

/** A fresh temp path in `dir` (src/io/temp-name.ts), removed on SIGINT/SIGTERM/exit until placed or dropped. */
export function ownedTemp(dir: string): string {
  const tmp = tempPath(dir);
  ownTemp(tmp);
  return tmp;
}

/** Removes a temp file that will not be placed; a failure here is swallowed (an earlier one is being reported). */
export function dropTemp(f: Fs, tmp: string): void {
  try {
    removeIfExists(f, tmp);
  } catch {
    // reclaimed later by prune, fsck or admin cleanup (temp-name.ts)
  }
  disownTemp(tmp);
}

/**
 * The one crash-safe step every durable write ends with: the written temp file `tmp` (same
 * filesystem as `path`) is fsynced, then renamed over `path`, so nothing partial is ever visible
 * under `path`. With `noReplace` the move is link(2)+unlink, the "rename-noreplace" ostree uses for
 * objects (spec ostree.md §2.3); returns false when that kept an existing file. On failure the
 * temp file is removed.
 */
export function placeTemp(f: Fs, tmp: string, path: string, o: PlaceOptions = {}): boolean {
  try {
    if (o.sync ?? true) f.fsync(tmp);
    if (!o.noReplace) {
      f.rename(tmp, path);
      return true;
    }
    let placed = true;
    try {
      f.link(tmp, path);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      placed = false;
    }
    f.unlink(tmp);
    return placed;
  } catch (e) {
    dropTemp(f, tmp);
    throw e;
  } finally {
    disownTemp(tmp);
  }
}

export interface AtomicWriteOptions extends PlaceOptions {
  /** File mode; default 0o644. */
  mode?: number;
  /** Directory of the temp file (same filesystem as the target); default the target's. */
  tmpDir?: string;
  /** ostree's fixed temp name `PATH.tmp` (a leftover is replaced) instead of the temp-name scheme. */
  dotTmp?: boolean;
  /** fsync the target's directory afterwards, so the rename itself is durable. */
  syncDir?: boolean;
}

/**
 * The one atomic write: `data` (or what `fill` writes to the temp path) goes to a temp file, then
 * placeTemp. Returns false when `noReplace` kept an existing file.
 */
export function writeAtomic(f: Fs, path: string, data: Uint8Array | string | ((tmp: string) => void), o: AtomicWriteOptions = {}): boolean {
  let tmp: string;
  if (o.dotTmp) {
    tmp = `${path}.tmp`;
    removeIfExists(f, tmp);
  } else {
    tmp = ownedTemp(o.tmpDir ?? dirname(path));
  }
  try {
    if (typeof data === 'function') data(tmp);
    else f.writeFile(tmp, data, o.mode ?? 0o644);
  } catch (e) {
    dropTemp(f, tmp);
    throw e;
  }
  const placed = placeTemp(f, tmp, path, o);
  if (o.syncDir) f.fsync(dirname(path));
  return placed;
}

/** Writes a file under the temp name PATH.tmp, optionally fsyncs it, renames it into place. */
export function writeFileReplace(f: Fs, path: string, data: Uint8Array | string, opts: { mode?: number; sync?: boolean } = {}): void {
  writeAtomic(f, path, data, { mode: opts.mode, sync: opts.sync ?? false, dotTmp: true });
}

/** ostree's symlink_at_replace: unlink NAME.tmp, symlink it, rename over NAME (ostree.md §3.7). */
export function symlinkReplace(f: Fs, target: string, path: string): void {
  removeIfExists(f, `${path}.tmp`);
  f.symlink(target, `${path}.tmp`);
  f.rename(`${path}.tmp`, path);
}

/** unlink that tolerates a missing file. */
export function removeIfExists(f: Fs, path: FsPath): void {
  try {
    f.unlink(path);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
}

/** rm -rf: removes a file, symlink or directory tree; a missing path is fine. */
export function removeTree(f: Fs, path: FsPath): void {
  const st = f.lstat(path);
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of f.readdir(path)) removeTree(f, joinPath(path, name));
    f.rmdir(path);
  } else {
    f.unlink(path);
  }
}

/** mkdir -p with `mode` for every directory it creates (on win32 `\\` separates too). */
export function ensureDir(f: Fs, path: string, mode = 0o755): void {
  const st = f.stat(path);
  if (st?.isDirectory()) return;
  const slash = Math.max(path.lastIndexOf('/'), process.platform === 'win32' ? path.lastIndexOf('\\') : -1);
  if (slash > 0) ensureDir(f, path.slice(0, slash), mode);
  try {
    f.mkdir(path, mode);
  } catch (e) {
    if (errno(e) !== 'EEXIST' || !f.stat(path)?.isDirectory()) throw e;
  }
}

/** The path-naming write steps (`write` names a descriptor, whose file `open` recorded). */
const MUTATIONS = ['mkdir', 'writeFile', 'copyFile', 'link', 'symlink', 'rename', 'unlink', 'rmdir', 'chmod', 'lchown', 'lutimes', 'open', 'reflink'] as const;

/** The directory part of a path (strings and byte paths alike); '.' for a bare name. */
function parentOf(path: FsPath): FsPath {
  const slash = typeof path === 'string' ? path.lastIndexOf('/') : path.lastIndexOf(0x2f);
  if (slash < 0) return '.';
  return typeof path === 'string' ? path.slice(0, slash) || '/' : path.subarray(0, slash || 1);
}

const keyOf = (path: FsPath) => Buffer.from(path as never).toString('hex');

/**
 * Records what goes through an Fs so it can all be made durable at once: the portable stand-in for
 * syncfs(2), which Node cannot call. `sync()` fsyncs every file written or changed (a regular file or
 * directory still there; symlinks cannot be opened) and then every directory whose entries changed.
 */
export class WriteLog {
  readonly fs: Fs;
  private readonly files = new Map<string, FsPath>();
  private readonly dirs = new Map<string, FsPath>();

  constructor(private readonly inner: Fs) {
    const fs = { ...inner };
    for (const name of MUTATIONS) {
      const real = inner[name] as (...a: unknown[]) => unknown;
      (fs as unknown as Record<string, unknown>)[name] = (...args: FsPath[]) => {
        const result = real.apply(inner, args);
        this.note(name, args);
        return result;
      };
    }
    this.fs = fs;
  }

  private note(name: (typeof MUTATIONS)[number], args: FsPath[]): void {
    const path = name === 'link' || name === 'symlink' || name === 'rename' || name === 'reflink' ? args[1] : args[0];
    if (name === 'rename') this.files.delete(keyOf(args[0]));
    if (name === 'rename' || name === 'unlink' || name === 'rmdir') this.dirs.set(keyOf(parentOf(args[0])), parentOf(args[0]));
    if (name === 'unlink' || name === 'rmdir') {
      this.files.delete(keyOf(path));
      return;
    }
    (name === 'mkdir' ? this.dirs : this.files).set(keyOf(path), path);
    if (!['chmod', 'lchown', 'lutimes'].includes(name)) this.dirs.set(keyOf(parentOf(path)), parentOf(path));
  }

  /** fsyncs the recorded files, then the recorded directories, and forgets them. */
  sync(): void {
    for (const [key, path] of this.files) {
      const st = this.inner.lstat(path);
      if (st?.isFile() || (st?.isDirectory() && !this.dirs.has(key))) this.inner.fsync(path);
    }
    for (const path of this.dirs.values()) if (this.inner.lstat(path)?.isDirectory()) this.inner.fsync(path);
    this.files.clear();
    this.dirs.clear();
  }
}
