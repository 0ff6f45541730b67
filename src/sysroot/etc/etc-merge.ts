/**
 * The /etc of a new deployment, exactly as ostree builds it (ostree.md §4.1, §4.2,
 * `merge_configuration_from()`): etc/ = a copy of the new image's usr/etc; then the local changes
 * of the merge deployment — its etc/ on disk diffed against its image's usr/etc, ignoring xattrs —
 * are applied: removed paths are deleted, modified then added paths are copied from the old etc/.
 * The local version always wins; there is no content-level merge.
 *
 * Defaults come from image trees (src/tree/tree.ts), the old etc/ from disk. Attributes the
 * disk cannot hold (ownership when not root, xattrs always) go to the sidecar (etc-attrs.ts).
 * Paths inside etc/ are handled as raw bytes (latin1 strings internally).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CfsError, naming } from '../../errors.js';
import { type Node, type Xattr, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, compareBytes } from '../../tree/tree.js';
import { ETC_ATTRS_NAME, type EtcAttrs, type EtcAttrsTable, formatEtcAttrs, parseEtcAttrs } from './etc-attrs.js';
import { type Fs, nodeFs, removeIfExists, removeTree, writeFileReplace } from '../../io/fs.js';

/** Where a regular file's bytes are: inline, or a backing file (e.g. objects dir + payload). */
export type FileContent = { bytes: Uint8Array } | { path: string | Buffer };

/** An image's `usr/etc`: its directory node and a way to read file contents. */
export interface EtcDefaults {
  root: Node;
  content(node: Node): FileContent;
}

/** Content of tree files: inline bytes, else the payload (backing path) under `objectsDir`. */
export function objectsContent(objectsDir: string): (node: Node) => FileContent {
  return (node) => {
    const t = node.target;
    if (t.content) return { bytes: t.content };
    if (t.payload) return { path: Buffer.concat([Buffer.from(`${objectsDir}/`), Buffer.from(t.payload)]) };
    if (t.size === 0n) return { bytes: new Uint8Array(0) };
    throw new CfsError('file has neither inline content nor a backing path', { field: Buffer.from(node.path()).toString(), code: 'EETCMERGE' });
  };
}

export interface EtcMergeInput {
  /** The new image's usr/etc. */
  newDefaults: EtcDefaults;
  /** The deployment directory being created; etc/ and the sidecar are written into it. */
  deployDir: string;
  /** The merge deployment: its image's usr/etc and its directory (holding etc/ and the sidecar). */
  merge?: { oldDefaults: EtcDefaults; deployDir: string };
  fs?: Fs;
  /** Set ownership on disk (default: running as root). Otherwise it is recorded in the sidecar. */
  chown?: boolean;
}

export interface EtcMergeResult {
  modified: string[];
  removed: string[];
  added: string[];
}

/** Attributes of one etc entry as the merge sees them. */
interface Info {
  type: number;
  uid: number;
  gid: number;
  /** Permission bits (07777). */
  mode: number;
  size: bigint;
  rdev: number;
  xattrs: Xattr[];
}

const CHUNK = 1 << 16;
const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const join = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);
const dirname = (rel: string) => rel.slice(0, Math.max(rel.lastIndexOf('/'), 0));
const L = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const B = (s: string) => Buffer.from(s, 'latin1');
const sortedChildren = (n: Node) => [...(n.children ?? [])].sort((a, b) => compareBytes(a.name, b.name));

function nodeInfo(n: Node): Info {
  const t = n.target;
  return { type: t.mode & S_IFMT, uid: t.uid, gid: t.gid, mode: t.mode & 0o7777, size: t.size, rdev: t.rdev, xattrs: t.xattrs };
}

/** Builds the new deployment's etc/ (and its sidecar); returns the merge's change lists. */
export function buildDeploymentEtc(input: EtcMergeInput): EtcMergeResult {
  const m = new EtcMerge(input);
  return m.run();
}

class EtcMerge {
  private readonly f: Fs;
  private readonly chown: boolean;
  private readonly newBase: string;
  private readonly modBase?: string;
  private readonly modAttrs: EtcAttrsTable = new Map();
  /** Intended attributes of what we wrote, by relative path. */
  private readonly written = new Map<string, Info>();
  private tmpCounter = 0;

  constructor(private readonly input: EtcMergeInput) {
    this.f = input.fs ?? nodeFs;
    this.chown = input.chown ?? process.getuid?.() === 0;
    this.newBase = L(Buffer.from(`${input.deployDir}/etc`));
    if (input.merge) {
      this.modBase = L(Buffer.from(`${input.merge.deployDir}/etc`));
      const side = `${input.merge.deployDir}/${ETC_ATTRS_NAME}`;
      if (this.f.lstat(side)) this.modAttrs = parseEtcAttrs(this.f.readFile(side), side);
    }
  }

  private newPath = (rel: string) => B(rel ? `${this.newBase}/${rel}` : this.newBase);
  private modPath = (rel: string) => B(rel ? `${this.modBase}/${rel}` : this.modBase!);

  run(): EtcMergeResult {
    const result: EtcMergeResult = { modified: [], removed: [], added: [] };
    // ostree.md §4.1: etc/ starts as a full copy of the new usr/etc
    this.checkout(this.input.newDefaults, this.input.newDefaults.root, '');
    const merge = this.input.merge;
    if (merge && this.f.lstat(this.modPath(''))?.isDirectory()) {
      this.diff(merge.oldDefaults, merge.oldDefaults.root, '', result);
      for (const p of result.removed) removeTree(this.f, this.newPath(p));
      for (const p of [...result.modified, ...result.added]) this.copyModified(p);
    }
    // ostree unlinks etc/.updated so ConditionNeedsUpdate= units run (ostree.md §4.2)
    removeIfExists(this.f, this.newPath('.updated'));
    this.writeSidecar();
    const show = (l: string[]) => l.map((p) => Buffer.from(p, 'latin1').toString());
    return { modified: show(result.modified), removed: show(result.removed), added: show(result.added) };
  }

  // ---- the new defaults ---------------------------------------------------------------------

  /** Writes one node of the new defaults (a failed system call is a CfsError naming its path). */
  private checkout(d: EtcDefaults, node: Node, rel: string): void {
    const info = nodeInfo(node);
    const path = this.newPath(rel);
    naming(path, () => {
      if (info.type === S_IFDIR) {
        this.f.mkdir(path, 0o700);
        this.setAttrs(path, rel, info);
      } else if (info.type === S_IFREG) {
        const src = d.content(node);
        if ('bytes' in src) this.f.writeFile(path, src.bytes, 0o600);
        else this.f.copyFile(src.path, path, 0o600);
        this.setAttrs(path, rel, info);
      } else if (info.type === S_IFLNK) {
        this.f.symlink(Buffer.from(node.target.payload ?? new Uint8Array(0)), path);
        this.setAttrs(path, rel, info);
      }
      // other types are skipped, as ostree's copy_dir_recurse does
    });
    if (info.type === S_IFDIR) for (const c of sortedChildren(node)) this.checkout(d, c, join(rel, L(c.name)));
  }

  // ---- diff (ostree_diff_dirs with IGNORE_XATTRS) ---------------------------------------------

  private modInfo(rel: string): Info | undefined {
    const st = this.f.lstat(this.modPath(rel));
    if (!st) return undefined;
    const info: Info = {
      type: st.mode & S_IFMT, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, size: BigInt(st.size), rdev: st.rdev, xattrs: [],
    };
    const rec = this.modAttrs.get(rel || '.');
    if (rec) {
      info.xattrs = rec.xattrs;
      // the record holds only while the disk still shows what was written (else the disk wins)
      const diskSame = st.uid === rec.diskUid && st.gid === rec.diskGid && (info.type === S_IFLNK || info.mode === rec.diskMode);
      if (diskSame) {
        info.uid = rec.uid;
        info.gid = rec.gid;
        if (info.type !== S_IFLNK) info.mode = rec.mode;
      }
    }
    return info;
  }

  private diff(d: EtcDefaults, orig: Node, rel: string, out: EtcMergeResult): void {
    for (const child of sortedChildren(orig)) {
      const p = join(rel, L(child.name));
      const o = nodeInfo(child);
      const m = this.modInfo(p);
      if (!m) out.removed.push(p);
      else if (o.type !== m.type) out.modified.push(p);
      else {
        if (!this.sameChecksum(d, child, o, p, m)) out.modified.push(p);
        if (o.type === S_IFDIR) this.diff(d, child, p, out);
      }
    }
    for (const name of this.f.readdir(this.modPath(rel)).map(L).sort()) {
      if (orig.lookup(B(name))) continue;
      const p = join(rel, name);
      out.added.push(p);
      if (this.f.lstat(this.modPath(p))?.isDirectory()) this.addAll(p, out);
    }
  }

  private addAll(rel: string, out: EtcMergeResult): void {
    for (const name of this.f.readdir(this.modPath(rel)).map(L).sort()) {
      const p = join(rel, name);
      out.added.push(p);
      if (this.f.lstat(this.modPath(p))?.isDirectory()) this.addAll(p, out);
    }
  }

  /** The ostree checksum comparison without xattrs: owner, mode and content / target. */
  private sameChecksum(d: EtcDefaults, node: Node, o: Info, rel: string, m: Info): boolean {
    if (o.uid !== m.uid || o.gid !== m.gid) return false;
    // on-disk symlinks are always 0777, in ostree's checkouts as here: their mode is not compared
    if (o.type === S_IFLNK) return Buffer.from(node.target.payload ?? []).equals(this.f.readlink(this.modPath(rel))!);
    if (o.mode !== m.mode) return false;
    if (o.type === S_IFREG) return o.size === m.size && this.sameContent(d.content(node), rel);
    if (o.type !== S_IFDIR) return o.rdev === m.rdev;
    return true;
  }

  /** Chunked comparison of the old etc/ file with the default's bytes (sizes are already equal). */
  private sameContent(src: FileContent, rel: string): boolean {
    const a = openSync(this.modPath(rel), 'r');
    const b = 'path' in src ? openSync(src.path, 'r') : -1;
    try {
      const bufA = Buffer.allocUnsafe(CHUNK);
      const bufB = Buffer.allocUnsafe(CHUNK);
      for (let off = 0; ; off += CHUNK) {
        const n = readSync(a, bufA, 0, CHUNK, null);
        const other = 'bytes' in src ? Buffer.from(src.bytes.subarray(off, off + CHUNK)) : bufB.subarray(0, readSync(b, bufB, 0, CHUNK, null));
        if (n !== other.length || !bufA.subarray(0, n).equals(other)) return false;
        if (n === 0) return true;
      }
    } finally {
      closeSync(a);
      if (b >= 0) closeSync(b);
    }
  }

  // ---- apply (copy_modified_config_file) ------------------------------------------------------

  private copyModified(rel: string): void {
    const m = this.modInfo(rel);
    if (!m) throw new CfsError('Reading modified config file: no such file', { field: B(rel).toString(), code: 'EETCMERGE' });
    if (rel.includes('/')) this.ensureDirFromTemplate(dirname(rel));
    const existing = this.f.lstat(this.newPath(rel));
    if (existing?.isDirectory()) {
      if (m.type !== S_IFDIR) {
        throw new CfsError(`Modified config file newly defaults to directory '${B(rel).toString()}', cannot merge`, { field: B(rel).toString(), code: 'EETCMERGE' });
      }
      return; // assumed copied with its parent already
    }
    if (existing) this.f.unlink(this.newPath(rel));
    if (m.type === S_IFDIR) this.copyDir(rel, m);
    else if (m.type === S_IFREG || m.type === S_IFLNK) this.copyFile(rel, m);
    // fifos, sockets and devices are skipped, as in ostree
  }

  /** ensure_directory_from_template: the directory exists in new, with the old etc/'s attributes. */
  private ensureDirFromTemplate(rel: string): void {
    const src = this.modInfo(rel);
    if (src?.type !== S_IFDIR) throw new CfsError(`opendir(${B(rel).toString()}): Not a directory`, { field: B(rel).toString(), code: 'EETCMERGE' });
    const path = this.newPath(rel);
    for (;;) {
      try {
        this.f.mkdir(path, 0o700);
      } catch (e) {
        if (errno(e) === 'ENOENT' && rel.includes('/')) {
          this.ensureDirFromTemplate(dirname(rel));
          continue;
        }
        if (errno(e) !== 'EEXIST') throw e;
      }
      break;
    }
    if (!this.f.stat(path)?.isDirectory()) {
      throw new CfsError(`opendir(${B(rel).toString()}): Not a directory`, { field: B(rel).toString(), code: 'EETCMERGE' });
    }
    this.setAttrs(path, rel, src);
  }

  /** copy_dir_recurse from the old etc/ into new. */
  private copyDir(rel: string, m: Info): void {
    const path = this.newPath(rel);
    try {
      this.f.mkdir(path, 0o700);
    } catch (e) {
      if (errno(e) !== 'EEXIST' || !this.f.stat(path)?.isDirectory()) throw e;
    }
    this.setAttrs(path, rel, m);
    for (const name of this.f.readdir(this.modPath(rel)).map(L).sort()) {
      const p = join(rel, name);
      const c = this.modInfo(p)!;
      if (c.type === S_IFDIR) this.copyDir(p, c);
      else if (c.type === S_IFREG || c.type === S_IFLNK) this.copyFile(p, c);
    }
  }

  /** glnx_file_copy_at with OVERWRITE: a temp file in the same directory renamed over the target. */
  private copyFile(rel: string, m: Info): void {
    const dir = dirname(rel);
    const tmp = this.newPath(join(dir, `.cfskit-tmp-${this.tmpCounter++}`));
    if (m.type === S_IFLNK) this.f.symlink(this.f.readlink(this.modPath(rel))!, tmp);
    else this.f.copyFile(this.modPath(rel), tmp, 0o600);
    this.setAttrs(tmp, rel, m);
    this.f.rename(tmp, this.newPath(rel));
  }

  // ---- attributes -----------------------------------------------------------------------------

  /**
   * Mode and owner as far as the disk takes them. Without chown the disk keeps u+rw(x) so the next
   * merge can read and write the entry; the sidecar holds the intended values.
   */
  private setAttrs(path: Buffer, rel: string, info: Info): void {
    if (info.type !== S_IFLNK) {
      const keep = this.chown ? 0 : info.type === S_IFDIR ? 0o700 : 0o600;
      this.f.chmod(path, info.mode | keep);
    }
    if (this.chown) this.f.lchown(path, info.uid, info.gid);
    this.written.set(rel, info);
  }

  private writeSidecar(): void {
    const table: EtcAttrsTable = new Map();
    for (const [rel, want] of this.written) {
      const st = this.f.lstat(this.newPath(rel));
      if (!st || (st.mode & S_IFMT) !== want.type) continue;
      const diskMode = st.mode & 0o7777;
      const mode = want.type === S_IFLNK ? diskMode : want.mode;
      if (st.uid === want.uid && st.gid === want.gid && diskMode === mode && want.xattrs.length === 0) continue;
      const rec: EtcAttrs = { uid: want.uid, gid: want.gid, mode, diskUid: st.uid, diskGid: st.gid, diskMode, xattrs: want.xattrs };
      table.set(rel || '.', rec);
    }
    writeFileReplace(this.f, `${this.input.deployDir}/${ETC_ATTRS_NAME}`, formatEtcAttrs(table), { sync: true });
  }
}
