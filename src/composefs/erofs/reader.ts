/**
 * Reads a composefs image (ours or C mkcomposefs's) back into the tree, with the semantics of
 * libcomposefs' `lcfs_load_node_from_image` (spec composefs-image.md §2.12), which is what
 * `composefs-info` and `composefs-dump` print and rebuild from.
 *
 * Bounded and defensive: every offset is checked (ImageBytes), the directory walk is iterative
 * and visits each inode once (a nid seen again becomes a hardlink alias, so directory cycles
 * cannot loop), and the bytes the walk may consume (inode extents, directory blocks, inline
 * content, symlink targets) are budgeted against the image size, which a well-formed image never
 * exceeds because those areas do not overlap (composefs-image.md §2.1, §2.9 P6/P7). Any malformation gives a
 * CfsError with code EIMAGE, the byte offset and the field.
 */
import { Node, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFBLK, isValidType, nameKey } from '../../tree/tree.js';
import { cString } from '../dumpfile/unescape.js';
import { ImageBytes } from './bounds.js';
import { XattrNames, keptXattrName, readDirBlock, readXattrs, redirectEnd, redirectStart } from './decode.js';
import { type ImageHeader, imageHeader, readImageHeader } from './header.js';
import {
  BLOCK_SIZE,
  I_DATALAYOUT_MASK,
  I_DATALAYOUT_SHIFT,
  I_VERSION_EXTENDED,
  IC,
  IE,
  INLINE_CONTENT_MAX,
  INODE_COMPACT_SIZE,
  INODE_EXTENDED_SIZE,
  LAYOUT_CHUNK_BASED,
  LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN,
  METACOPY_SIZE,
  OVERLAY_XATTR_ESCAPED_WHITEOUT,
  OVERLAY_XATTR_METACOPY,
  OVERLAY_XATTR_REDIRECT,
  PATH_MAX,
  SB,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  XATTR_IBODY_HEADER_SIZE,
} from '../../formats/erofs.js';

export interface ReadImageOptions {
  /** Image file name, for error messages. */
  file?: string;
  /** Load only the root entries with these names (composefs-info --filter; composefs-image.md §2.12). */
  filter?: Uint8Array[];
  /**
   * Load only these paths ('usr/etc', 'usr/lib/os-release'; relative, '/'-separated, any depth;
   * strings are UTF-8, bytes are taken as they are)
   * and the directories along the way; other children of those directories are skipped without
   * decoding their inodes. A path that is absent, or crosses a non-directory or a hardlink alias,
   * loads nothing more. Applies with `filter` (both must admit a root entry). Hardlinks: the first
   * loaded occurrence of an inode (walk order: depth-first, on-disk entry order) carries it and
   * later loaded ones are aliases to it, so a file whose first occurrence in the whole image lies
   * outside the paths is a full node here where a full load gives an alias (`.target` of both is
   * the same inode's data).
   */
  paths?: (string | Uint8Array)[];
}

export { type ImageHeader, readImageHeader };

/**
 * Loads the whole tree of a composefs image; the root is the returned Node. Entry names,
 * symlink targets, backing paths, digests and xattr values are views into `bytes` (nothing is
 * copied per inode, and shared xattrs are not copied per use): keep `bytes` unchanged while the
 * tree is in use.
 */
export function readImage(bytes: Uint8Array, opts: ReadImageOptions = {}): Node {
  const img = new ImageBytes(bytes, opts.file);
  return new TreeLoader(img, imageHeader(img), opts.filter, opts.paths && pathTrie(opts.paths)).load();
}

/** An inode header, decoded (composefs-image.md §2.4). */
interface Inode {
  offset: number;
  headerSize: number;
  layout: number;
  mode: number;
  nlink: number;
  size: bigint;
  /** i_u: raw_blkaddr or rdev or chunk info. */
  u: number;
  uid: number;
  gid: number;
  mtimeSec: bigint;
  mtimeNsec: number;
  xattrSize: number;
}

interface DirEntry {
  /** The dirent's nid; nids of 2^32 and above (never inside an image) read as MAX_SAFE_INTEGER. */
  nid: number;
  name: Uint8Array;
  /** Byte offset of the dirent, for errors. */
  offset: number;
}

interface Frame {
  node: Node;
  entries: DirEntry[];
  next: number;
  /** What of this directory to load: null for everything. */
  select: PathTrie | null;
}

/** The `paths` option as a tree of name keys; a node with `all` set loads its whole subtree. */
interface PathTrie {
  all: boolean;
  children: Map<string, PathTrie>;
}

function pathTrie(paths: (string | Uint8Array)[]): PathTrie {
  const root: PathTrie = { all: false, children: new Map() };
  for (const path of paths) {
    const bytes = typeof path === 'string' ? new TextEncoder().encode(path) : path;
    let t = root;
    for (let start = 0; start <= bytes.length; ) {
      let end = bytes.indexOf(SLASH, start);
      if (end < 0) end = bytes.length;
      const part = bytes.subarray(start, end);
      start = end + 1;
      if (part.length === 0) continue;
      const key = nameKey(part);
      let next = t.children.get(key);
      if (!next) t.children.set(key, (next = { all: false, children: new Map() }));
      t = next;
    }
    t.all = true;
  }
  return root;
}

/** Up to this many xattrs on a node, a repeated name is found by a scan rather than a Map. */
const SCANNED_XATTRS = 16;
const SLASH = 0x2f;

class TreeLoader {
  private readonly metaStart: number;
  /** Inode slots from the metadata start to the image end: every valid nid is below. */
  private readonly slots: number;
  private readonly xattrStart: number;
  /** Nodes built so far by nid: a nid met again becomes a hardlink alias (composefs-image.md §2.12). */
  private readonly nodes = new Map<number, Node>();
  private readonly whiteouts = new Set<number>();
  /** Image bytes the walk may still consume; see the module comment. */
  private budget: number;
  private readonly filter: Set<string> | null;
  /** Position of each xattr key in the node being decoded, once it has SCANNED_XATTRS of them. */
  private kept: Map<Uint8Array, number> | null = null;
  private readonly names: XattrNames;

  constructor(
    private readonly img: ImageBytes,
    private readonly header: ImageHeader,
    filter?: Uint8Array[],
    private readonly paths?: PathTrie,
  ) {
    this.metaStart = header.metaBlkaddr * BLOCK_SIZE;
    this.slots = Math.floor((img.length - this.metaStart) / SLOT_SIZE);
    this.xattrStart = header.xattrBlkaddr * BLOCK_SIZE;
    this.budget = img.length;
    this.filter = filter ? new Set(filter.map(nameKey)) : null;
    this.names = new XattrNames(img);
  }

  load(): Node {
    const rootOffset = SUPERBLOCK_OFFSET + SB.rootNid;
    const root = this.build(this.header.rootNid, new Uint8Array(0), rootOffset);
    if (!root || root.node.linkTo || (root.node.mode & S_IFMT) !== S_IFDIR) {
      this.img.fail('root inode is not a directory', rootOffset, 'superblock.root_nid');
    }
    // Depth-first, entries in on-disk order, iteratively (no recursion depth limit to hit).
    const stack: Frame[] = [{ node: root.node, entries: root.entries!, next: 0, select: this.selectOf(this.paths) }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.next >= frame.entries.length) {
        stack.pop();
        continue;
      }
      const entry = frame.entries[frame.next++];
      if (this.filter && frame.node === root.node && !this.filter.has(nameKey(entry.name))) continue;
      const select = frame.select && frame.select.children.get(nameKey(entry.name));
      if (select === undefined) continue;
      const child = this.build(entry.nid, entry.name, entry.offset);
      if (!child) continue;
      if (!frame.node.addChild(child.node)) this.img.fail('duplicate name in directory', entry.offset, 'dirent.name');
      if (child.entries) stack.push({ node: child.node, entries: child.entries, next: 0, select: this.selectOf(select) });
    }
    return root.node;
  }

  /** A frame's selection: null (load all) when there are no paths or a path ends here. */
  private selectOf(t: PathTrie | null | undefined): PathTrie | null {
    return !t || t.all ? null : t;
  }

  private spend(bytes: number, offset: number, field: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      this.img.fail('image references more data than it holds (overlapping inodes or blocks)', offset, field);
    }
  }

  /** Builds the node for a dirent; null for a whiteout (char device 0/0), which C drops. */
  private build(key: number, name: Uint8Array, where: number): { node: Node; entries: DirEntry[] | null } | null {
    if (key >= this.slots) this.img.fail('nid lies outside the image', where, 'nid');
    const existing = this.nodes.get(key);
    if (existing) {
      // Hardlink alias: carries no inode of its own (mode 0, like C's fresh lcfs_node).
      const alias = new Node(name, 0);
      alias.linkTo = existing;
      return { node: alias, entries: null };
    }
    if (this.whiteouts.has(key)) return null;
    const ino = this.inode(this.metaStart + key * SLOT_SIZE);
    const type = ino.mode & S_IFMT;
    if (type === S_IFCHR && ino.u === 0) {
      this.whiteouts.add(key);
      return null;
    }
    this.spend(ino.headerSize + ino.xattrSize, ino.offset, 'inode');
    const node = new Node(name, ino.mode);
    node.nlink = ino.nlink;
    node.uid = ino.uid;
    node.gid = ino.gid;
    node.mtimeSec = ino.mtimeSec;
    node.mtimeNsec = ino.mtimeNsec;
    node.size = ino.size;
    if (type === S_IFCHR || type === S_IFBLK) node.rdev = ino.u;
    this.nodes.set(key, node);

    let entries: DirEntry[] | null = null;
    if (type === S_IFDIR) entries = this.dirEntries(ino);
    else if (type === S_IFLNK) node.payload = this.symlinkTarget(ino);
    else if (type === S_IFREG && ino.size > 0n) node.content = this.content(ino);
    this.xattrs(node, ino);
    return { node, entries };
  }

  private inode(offset: number): Inode {
    const img = this.img;
    const format = img.u16(offset + IC.format, 'inode.i_format');
    const extended = (format & I_VERSION_EXTENDED) !== 0;
    const headerSize = extended ? INODE_EXTENDED_SIZE : INODE_COMPACT_SIZE;
    img.check(offset, headerSize, 'inode');
    const mode = img.u16(offset + IC.mode, 'inode.i_mode');
    if (!isValidType(mode)) img.fail(`invalid file type in mode ${mode.toString(8)}`, offset + IC.mode, 'inode.i_mode');
    const icount = img.u16(offset + IC.xattrIcount, 'inode.i_xattr_icount');
    const xattrSize = icount === 0 ? 0 : XATTR_IBODY_HEADER_SIZE + (icount - 1) * 4;
    img.check(offset + headerSize, xattrSize, 'inode.xattrs');
    const layout = (format >> I_DATALAYOUT_SHIFT) & I_DATALAYOUT_MASK;
    if (extended) {
      return {
        offset, headerSize, layout, mode, xattrSize,
        nlink: img.u32(offset + IE.nlink, 'inode.i_nlink'),
        size: img.u64(offset + IE.size, 'inode.i_size'),
        u: img.u32(offset + IE.u, 'inode.i_u'),
        uid: img.u32(offset + IE.uid, 'inode.i_uid'),
        gid: img.u32(offset + IE.gid, 'inode.i_gid'),
        mtimeSec: BigInt.asIntN(64, img.u64(offset + IE.mtime, 'inode.i_mtime')),
        mtimeNsec: img.u32(offset + IE.mtimeNsec, 'inode.i_mtime_nsec'),
      };
    }
    // A compact inode has no mtime: the superblock's build time stands in (composefs-image.md §2.4.1).
    return {
      offset, headerSize, layout, mode, xattrSize,
      nlink: img.u16(offset + IC.nlink, 'inode.i_nlink'),
      size: BigInt(img.u32(offset + IC.size, 'inode.i_size')),
      u: img.u32(offset + IC.u, 'inode.i_u'),
      uid: img.u16(offset + IC.uid, 'inode.i_uid'),
      gid: img.u16(offset + IC.gid, 'inode.i_gid'),
      mtimeSec: this.header.buildTimeSec,
      mtimeNsec: this.header.buildTimeNsec,
    };
  }

  /** Where inline data starts: right after the inode header and its xattr area (composefs-image.md §2.4.5). */
  private tailOffset(ino: Inode): number {
    return ino.offset + ino.headerSize + ino.xattrSize;
  }

  /** A directory's entries: its full blocks at i_u, then the inline tail (composefs-image.md §2.7, §2.12). */
  private dirEntries(ino: Inode): DirEntry[] {
    const img = this.img;
    if (ino.layout !== LAYOUT_FLAT_PLAIN && ino.layout !== LAYOUT_FLAT_INLINE) {
      img.fail(`unsupported directory data layout ${ino.layout}`, ino.offset, 'inode.i_format');
    }
    if (ino.size > BigInt(img.length)) img.fail(`directory size ${ino.size} exceeds the image`, ino.offset + IC.size, 'inode.i_size');
    const size = Number(ino.size);
    this.spend(size, ino.offset, 'directory');
    const inline = ino.layout === LAYOUT_FLAT_INLINE;
    const tail = inline ? size % BLOCK_SIZE : 0;
    const fullBlocks = Math.ceil((size - tail) / BLOCK_SIZE);
    const entries: DirEntry[] = [];
    for (let b = 0; b < fullBlocks; b++) {
      const blockSize = Math.min(BLOCK_SIZE, size - b * BLOCK_SIZE);
      this.dirBlock((ino.u + b) * BLOCK_SIZE, blockSize, entries);
    }
    if (tail > 0) this.dirBlock(this.tailOffset(ino), tail, entries);
    return entries;
  }

  /** One directory block or tail (decode.ts readDirBlock). */
  private dirBlock(offset: number, size: number, out: DirEntry[]): void {
    const bytes = this.img.bytes;
    readDirBlock(this.img, offset, size, (nid, start, end, at) => out.push({ nid, name: bytes.subarray(start, end), offset: at }));
  }

  /** Symlink target: the inline tail or the block at i_u, cut at NUL (composefs-image.md §2.8.4, §2.12). */
  private symlinkTarget(ino: Inode): Uint8Array {
    const img = this.img;
    if (ino.size >= BigInt(PATH_MAX)) img.fail(`symlink target of ${ino.size} bytes is too long`, ino.offset + IC.size, 'inode.i_size');
    const len = Number(ino.size);
    const at =
      ino.layout === LAYOUT_FLAT_INLINE ? this.tailOffset(ino)
      : ino.layout === LAYOUT_FLAT_PLAIN ? ino.u * BLOCK_SIZE
      : img.fail(`unsupported symlink data layout ${ino.layout}`, ino.offset, 'inode.i_format');
    this.spend(len, at, 'symlink target');
    return cString(img.slice(at, len, 'symlink target'));
  }

  /** Inline file content: full blocks at i_u, then the tail (composefs-image.md §2.8.2); chunk-based: none. */
  private content(ino: Inode): Uint8Array | null {
    const img = this.img;
    if (ino.layout === LAYOUT_CHUNK_BASED) return null;
    if (ino.layout !== LAYOUT_FLAT_PLAIN && ino.layout !== LAYOUT_FLAT_INLINE) {
      img.fail(`unsupported file data layout ${ino.layout}`, ino.offset, 'inode.i_format');
    }
    if (ino.size > BigInt(INLINE_CONTENT_MAX)) {
      img.fail(`inline file of ${ino.size} bytes exceeds ${INLINE_CONTENT_MAX}`, ino.offset + IC.size, 'inode.i_size');
    }
    const size = Number(ino.size);
    const tail = ino.layout === LAYOUT_FLAT_INLINE ? size % BLOCK_SIZE : 0;
    if (ino.layout === LAYOUT_FLAT_INLINE && tail === 0) {
      img.fail('inline layout without an inline tail', ino.offset, 'inode.i_format');
    }
    this.spend(size, ino.offset, 'content');
    const content = new Uint8Array(size);
    const blocks = size - tail;
    if (blocks > 0) content.set(img.slice(ino.u * BLOCK_SIZE, blocks, 'content block'));
    if (tail > 0) content.set(img.slice(this.tailOffset(ino), tail, 'inline content'), blocks);
    return content;
  }

  /** Inline entries first, then the shared ones in header order (composefs-image.md §2.5, §2.12). */
  private xattrs(node: Node, ino: Inode): void {
    if (ino.xattrSize === 0) return;
    this.kept = null;
    const apply = (key: string, valueAt: number, valueSize: number): void => this.applyXattr(node, key, valueAt, valueSize);
    readXattrs(this.img, this.names, ino.offset + ino.headerSize, ino.xattrSize, this.xattrStart, apply);
  }

  /** How C interprets each stored xattr (composefs-image.md §2.12, Appendix B item 14). */
  private applyXattr(node: Node, key: string, valueAt: number, valueSize: number): void {
    const bytes = this.img.bytes;
    const isReg = (node.mode & S_IFMT) === S_IFREG;
    if (key === OVERLAY_XATTR_REDIRECT) {
      if (isReg) node.payload = this.redirectPayload(valueAt, valueSize);
      return;
    }
    if (key === OVERLAY_XATTR_METACOPY) {
      if (isReg && valueSize === METACOPY_SIZE) node.digest = bytes.subarray(valueAt + 4, valueAt + METACOPY_SIZE);
      return;
    }
    if (key === OVERLAY_XATTR_ESCAPED_WHITEOUT && isReg) {
      node.mode = (node.mode & ~S_IFMT) | S_IFCHR;
      node.rdev = 0;
      node.size = 0n;
      return;
    }
    const name = keptXattrName(key);
    if (name === null) return;
    // A name met again replaces the earlier value in its place. Keys are shared per name (keyOf),
    // so they compare by identity: a scan for the usual few, a Map once a node has many.
    const xattr = { key: this.names.keyOf(name), value: bytes.subarray(valueAt, valueAt + valueSize) };
    const xattrs = node.xattrs;
    let i = 0;
    if (xattrs.length < SCANNED_XATTRS) {
      while (i < xattrs.length && xattrs[i].key !== xattr.key) i++;
    } else {
      this.kept ??= new Map(xattrs.map((x, j) => [x.key, j]));
      i = this.kept.get(xattr.key) ?? xattrs.length;
      if (i === xattrs.length) this.kept.set(xattr.key, i);
    }
    xattrs[i] = xattr;
  }

  /** The backing path from trusted.overlay.redirect (decode.ts redirectStart, redirectEnd). */
  private redirectPayload(valueAt: number, valueSize: number): Uint8Array {
    const bytes = this.img.bytes;
    return bytes.subarray(redirectStart(bytes, valueAt, valueSize), redirectEnd(bytes, valueAt, valueSize));
  }
}
