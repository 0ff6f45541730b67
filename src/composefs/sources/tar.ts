/**
 * Tar source (`--from-tar FILE|-`, repeatable): each archive is one layer, applied in order with
 * OCI whiteouts (layers.ts). Entries come from tar-stream (ustar, GNU long names and links, PAX);
 * the PAX records themselves are re-read from their raw bytes (pax.ts) so that paths and
 * `SCHILY.xattr.*` values stay byte-exact. Regular files are inlined or digested exactly as the
 * directory source does (content.ts), their bytes streamed into the digest store when one is given.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { isDir, Node, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, type Xattr } from '../../tree/tree.js';
import { CfsError, type ErrorPlace } from '../../errors.js';
import { PATH_MAX } from '../../formats/erofs.js';
import { refusedXattr } from '../../formats/xattr-budget.js';
import { ContentBatcher, fillContent, setExternal } from './content.js';
import { decompress } from './decompress.js';
import { finalizeHardlinks } from './hardlinks.js';
import { defaultDir, LayerTree, lookupPath, splitEntryPath } from './layers.js';
import type { SourceOptions } from './options.js';
import { tap } from './tap.js';
import { paxInteger, paxTime, parsePax, type PaxRecords } from './pax.js';

/** Longest symlink target an image can hold (spec composefs-image.md §3.5 step 12). */
const SYMLINK_MAX = PATH_MAX - 1;
const U32_MAX = 0xffffffffn;
const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

export type EntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

/** One archive member, with PAX and GNU extensions applied and every field checked. */
export interface TarEntry {
  /** Byte offset of the entry's header in the uncompressed archive. */
  offset: number;
  path: Uint8Array;
  linkpath: Uint8Array | null;
  type: EntryType;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  mtimeSec: bigint;
  mtimeNsec: number;
  /** Linux dev_t of a device (`makedev(major, minor)`, 32 bits, composefs-image.md §2.8.5). */
  rdev: number;
  xattrs: Xattr[];
}

const TYPE_BITS: Record<EntryType, number> = {
  file: S_IFREG,
  link: S_IFREG,
  symlink: S_IFLNK,
  'character-device': S_IFCHR,
  'block-device': S_IFBLK,
  directory: S_IFDIR,
  fifo: S_IFIFO,
};

/** Read size of a regular input file. */
const INPUT_CHUNK = 1 << 20;

/** The bytes of a file, or of stdin for `-`. */
export function openInput(path: string): AsyncIterable<Uint8Array> {
  return path === '-' ? process.stdin : readInput(path);
}

/**
 * A regular file is read synchronously in fresh chunks (no thread-pool round trip per chunk:
 * that waiting was 8% of a /usr/share `.tar` build); a pipe or device streams.
 */
async function* readInput(path: string): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, 'r');
  let regular: boolean;
  try {
    regular = fstatSync(fd).isFile();
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!regular) {
    // the stream owns the descriptor (closes it when it ends or is destroyed)
    yield* createReadStream(path, { fd, highWaterMark: 256 * 1024 });
    return;
  }
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(INPUT_CHUNK);
      const n = readSync(fd, buf, 0, INPUT_CHUNK, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** Builds the tree of tar layers `paths`, applied in order (the tar source). */
export async function loadTarLayers(paths: string[], opts: SourceOptions = {}): Promise<Node> {
  if (opts.progress) {
    const sizes = await Promise.all(paths.map((p) => (p === '-' ? 0 : stat(p).then((st) => st.size, () => 0))));
    opts.progress.setTotal(sizes.reduce((a, b) => a + b, 0));
  }
  const root = defaultDir(new Uint8Array(0));
  for (const path of paths) await applyLayer(root, openInput(path), path, opts);
  finalizeHardlinks(root);
  return root;
}

/**
 * Reads one (possibly compressed) tar layer and merges it onto `root`. `verify` runs after the
 * whole layer was read and before it is merged (the OCI source checks digests there);
 * `uncompressed` observes the decompressed tar bytes.
 */
export async function applyLayer(
  root: Node,
  bytes: AsyncIterable<Uint8Array>,
  file: string,
  opts: SourceOptions,
  hooks: { uncompressed?: (chunk: Uint8Array) => void; verify?: () => void } = {},
): Promise<void> {
  const layer = new LayerTree();
  const counted = tap(bytes, (c) => opts.progress?.advance(0, c.length));
  const plain = decompress(counted, file);
  // small files are hashed (and stored) in batches; all are done before the layer is merged
  const batcher = new ContentBatcher<Node>(opts.store ?? null, setExternal);
  for await (const { entry, data } of readTar(hooks.uncompressed ? tap(plain, hooks.uncompressed) : plain, file)) {
    await addEntry(layer, root, entry, data, file, opts, batcher);
    opts.progress?.advance(1, 0);
  }
  await batcher.finish();
  hooks.verify?.();
  layer.mergeInto(root, file);
}

async function addEntry(
  layer: LayerTree,
  lower: Node,
  e: TarEntry,
  data: AsyncIterable<Uint8Array>,
  file: string,
  opts: SourceOptions,
  batcher: ContentBatcher<Node>,
): Promise<void> {
  const where: ErrorPlace = { file, offset: e.offset, field: Buffer.from(e.path).toString('latin1'), code: 'ETAR' };
  const slot = layer.place(splitEntryPath(e.path, where), where);
  if (!slot) return;
  const node = new Node(slot.name ?? new Uint8Array(0), TYPE_BITS[e.type] | e.mode);
  node.uid = e.uid;
  node.gid = e.gid;
  node.mtimeSec = e.mtimeSec;
  node.mtimeNsec = e.mtimeNsec;
  for (const x of e.xattrs) node.setXattr(x.key, x.value);
  const refused = refusedXattr(node.xattrs);
  if (refused) throw new CfsError("Can't set xattr", { ...where, field: `${where.field}: xattr ${Buffer.from(refused.key).toString('latin1')}` });
  if (!slot.name) {
    if (e.type !== 'directory') throw new CfsError(`the root entry must be a directory, not a ${e.type}`, where);
    layer.setRoot(node);
    return;
  }
  switch (e.type) {
    case 'file':
      await fillContent(node, data, e.size, where, opts.store ?? null, batcher);
      break;
    case 'link': {
      const target = resolveLink(layer, lower, e, where);
      node.mode = target.mode;
      node.linkTo = target.target;
      break;
    }
    case 'symlink':
      if (!e.linkpath || e.linkpath.length === 0 || e.linkpath.length > SYMLINK_MAX || e.linkpath.includes(0)) {
        throw new CfsError(`symlink target must be 1..${SYMLINK_MAX} bytes without NUL`, where);
      }
      node.payload = e.linkpath;
      node.size = BigInt(e.linkpath.length);
      break;
    case 'character-device':
    case 'block-device':
      node.rdev = e.rdev;
      break;
  }
  layer.insert(slot.parent, node);
}

/** A hard link names an earlier entry of this layer, else an entry of the layers below. */
function resolveLink(layer: LayerTree, lower: Node, e: TarEntry, where: ErrorPlace): Node {
  if (!e.linkpath || e.linkpath.length === 0) throw new CfsError('hard link without a target', where);
  const linkWhere = { ...where, field: `${where.field} -> ${Buffer.from(e.linkpath).toString('latin1')}` };
  const names = splitEntryPath(e.linkpath, linkWhere);
  const target = layer.lookup(names, linkWhere) ?? lookupPath(lower, names, linkWhere);
  if (!target) throw new CfsError('hard link target is not an earlier entry', linkWhere);
  if (isDir(target.mode)) throw new CfsError('hard link to a directory', linkWhere);
  return target;
}

interface RawHeader {
  name: string;
  linkname: string | null;
  type: string | null;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  devmajor: number;
  devminor: number;
}

/** tar-stream internals used to see the PAX header bytes before it decodes them as UTF-8 text. */
interface ExtractInternals {
  _decodeLongHeader(buf: Buffer): void;
  _header: { type: string };
  _offset: number;
}

/**
 * The entries of an uncompressed tar stream. Each entry's `data` must be consumed (or is drained)
 * before the next one is read. Malformed or truncated archives end in a CfsError (code ETAR).
 */
export async function* readTar(
  bytes: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<{ entry: TarEntry; data: AsyncIterable<Uint8Array> }> {
  const ex = tar.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0]);
  let globalPax: PaxRecords = new Map();
  let localPax: PaxRecords | null = null;
  const internals = ex as unknown as ExtractInternals;
  const decodeLongHeader = internals._decodeLongHeader;
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    const place = { file, offset: this._offset };
    if (this._header.type === 'pax-header') localPax = parsePax(buf, place);
    else if (this._header.type === 'pax-global-header') globalPax = new Map([...globalPax, ...parsePax(buf, place)]);
    decodeLongHeader.call(this, buf);
  };
  const source = Readable.from(bytes, { objectMode: false });
  source.on('error', (err) => ex.destroy(err));
  source.pipe(ex);
  try {
    const it = ex[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<tar.Extract extends AsyncIterable<infer S> ? S : never>;
      try {
        r = await it.next();
      } catch (err) {
        throw asTarError(err, file, internals._offset);
      }
      // GNU tar refuses a zero-byte archive (a real empty one is two zero blocks).
      if (r.done && internals._offset === 0) throw new CfsError('empty archive: not a tar archive', { file, offset: 0, code: 'ETAR' });
      if (r.done) break;
      const stream = r.value;
      const offset = stream.offset;
      const pax = localPax ? new Map([...globalPax, ...localPax]) : globalPax;
      localPax = null;
      const entry = toEntry(stream.header as unknown as RawHeader, pax, { file, offset, code: 'ETAR' });
      const data = (async function* () {
        try {
          yield* stream as AsyncIterable<Uint8Array>;
        } catch (err) {
          throw asTarError(err, file, internals._offset);
        }
      })();
      yield { entry, data };
      for await (const _ of stream) {
        // drain what the consumer left
      }
    }
  } finally {
    source.unpipe(ex);
    source.destroy();
    ex.destroy();
  }
}

function asTarError(err: unknown, file: string, offset: number): CfsError {
  if (err instanceof CfsError) return err;
  const why = err instanceof Error ? err.message : String(err);
  const sys = err as NodeJS.ErrnoException;
  // A file that cannot be opened or read: node's "CODE: description, syscall 'path'" as "cannot open: description".
  if (sys.syscall) return new CfsError(`cannot ${sys.syscall === 'open' ? 'open' : 'read'}: ${why.replace(/^[A-Z]+: /, '').replace(/, .*$/, '')}`, { file, code: 'EIO' }, { cause: err });
  const reason = /Unexpected end of data/.test(why) ? 'truncated archive' : `malformed archive: ${why}`;
  return new CfsError(reason, { file, offset, code: 'ETAR' }, { cause: err });
}

/** Applies PAX records over the header fields and checks every field (bounded, no NaN). */
function toEntry(h: RawHeader, pax: PaxRecords, place: ErrorPlace): TarEntry {
  const rawPath = pax.get('path') ?? Buffer.from(h.name, 'latin1');
  const where = { ...place, field: Buffer.from(rawPath).toString('latin1') };
  const fail = (why: string): never => {
    throw new CfsError(why, where);
  };
  for (const key of pax.keys()) if (key.startsWith('GNU.sparse.')) fail('sparse files are not supported');
  const type: EntryType | null = h.type === 'contiguous-file' ? 'file' : (h.type as EntryType | null);
  if (!type || !(type in TYPE_BITS)) fail('unsupported entry type (sparse file, volume label or unknown typeflag)');
  if (!Number.isSafeInteger(h.size) || h.size < 0) fail('invalid size');
  // tar-stream does not skip a directory's data (it would be read as headers): refuse it
  if (type === 'directory' && h.size > 0) fail('directory entry with data');
  const size = BigInt(h.size);
  const paxSize = pax.get('size');
  if (paxSize && paxSize.length > 0 && paxInteger(paxSize, 'size', where) !== size) fail('PAX size disagrees with the data');
  const id = (key: 'uid' | 'gid', value: number): number => {
    const v = pax.get(key);
    const n = v && v.length > 0 ? paxInteger(v, key, where) : Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : -1n;
    if (n < 0n || n > U32_MAX) fail(`invalid ${key}`);
    return Number(n);
  };
  let mtime: { sec: bigint; nsec: number };
  const paxMtime = pax.get('mtime');
  if (paxMtime && paxMtime.length > 0) {
    mtime = paxTime(paxMtime, 'mtime', where);
  } else {
    const ms = h.mtime.getTime();
    if (!Number.isFinite(ms)) fail('invalid mtime');
    mtime = { sec: BigInt(Math.round(ms / 1000)), nsec: 0 };
  }
  if (!Number.isSafeInteger(h.mode)) fail('invalid mode');
  const linkpath = pax.get('linkpath') ?? (h.linkname ? Buffer.from(h.linkname, 'latin1') : null);
  const xattrs: Xattr[] = [];
  for (const [key, value] of pax) {
    if (!key.startsWith(XATTR_PAX_PREFIX)) continue;
    const name = Buffer.from(key.slice(XATTR_PAX_PREFIX.length), 'latin1');
    if (name.length === 0 || name.includes(0)) fail('invalid xattr name');
    xattrs.push({ key: new Uint8Array(name), value });
  }
  let rdev = 0;
  if (type === 'character-device' || type === 'block-device') {
    const major = devNumber(pax.get('SCHILY.devmajor'), h.devmajor, where);
    const minor = devNumber(pax.get('SCHILY.devminor'), h.devminor, where);
    rdev = makedev(major, minor);
  }
  return {
    offset: place.offset ?? 0,
    path: rawPath,
    linkpath: linkpath && linkpath.length > 0 ? linkpath : null,
    type: type!,
    mode: h.mode & 0o7777,
    uid: id('uid', h.uid),
    gid: id('gid', h.gid),
    size,
    mtimeSec: mtime.sec,
    mtimeNsec: mtime.nsec,
    rdev,
    xattrs,
  };
}

function devNumber(pax: Uint8Array | undefined, value: number, where: ErrorPlace): number {
  const n = pax && pax.length > 0 ? paxInteger(pax, 'devnumber', where) : BigInt(Number.isSafeInteger(value) ? value : -1);
  if (n < 0n || n > U32_MAX) throw new CfsError('invalid device number', where);
  return Number(n);
}

/** Linux `makedev`, truncated to the 32 bits an image stores (composefs-image.md §2.8.5). */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
