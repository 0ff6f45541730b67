/**
 * composefs-info's `dump`, `ls` and `objects` printed straight from an image's bytes (erofs/scan.ts),
 * byte for byte as the tree printers (dumpfile/print.ts, listing.ts) print the tree readImage
 * gives: the fast path of `cfskit info`. An image whose directories are out of name order makes
 * these throw Unsorted; the caller then takes the tree path.
 */
import { ImageScan, type ScanVisitor } from './erofs/scan.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../tree/tree.js';
import { ByteSink, ESCAPE_EQUAL, ESCAPE_LONE_DASH, ESCAPE_STANDARD, NOESCAPE_SPACE } from './dumpfile/escape.js';

export { Unsorted } from './erofs/scan.js';

export interface ViewOptions {
  file?: string;
  filter?: Uint8Array[];
}

const CHUNK = 1 << 16;
const TWO_32 = 2 ** 32;
/** High halves below this give values below 2^53, exact as numbers. */
const SAFE_HIGH = 1 << 21;
const SLASH = 0x2f;

/** Output in chunks of about 64 KiB, all of them produced before the first is handed out. */
class Chunks {
  readonly out = new ByteSink();
  readonly chunks: Uint8Array[] = [];

  flush(): void {
    if (this.out.length >= CHUNK) this.chunks.push(this.out.take());
  }

  done(): Uint8Array[] {
    if (this.out.length > 0) this.chunks.push(this.out.take());
    return this.chunks;
  }
}

/** `info dump` of one image (dumpfile/print.ts dumpLine, from the scanner's fields). */
export function dumpImage(bytes: Uint8Array, opts: ViewOptions = {}): Uint8Array[] {
  const c = new Chunks();
  const out = c.out;
  const visitor: ScanVisitor = {
    entry(s) {
      if (s.pathLength === 0) out.byte(SLASH);
      else out.escapedRange(s.path, 0, s.pathLength, ESCAPE_STANDARD);
      out.byte(0x20);
      if (s.sizeHi < SAFE_HIGH) out.integer(s.sizeHi * TWO_32 + s.sizeLo);
      else out.u64(s.sizeBig());
      out.byte(0x20);
      if (s.alias) out.byte(0x40);
      out.integer(s.mode >>> 0, 8);
      out.byte(0x20);
      out.integer(s.nlink);
      out.byte(0x20);
      out.integer(s.uid);
      out.byte(0x20);
      out.integer(s.gid);
      out.byte(0x20);
      out.integer(s.rdev);
      out.byte(0x20);
      if (s.mtimeHi >= 0 && s.mtimeHi < SAFE_HIGH) {
        out.integer(s.mtimeHi * TWO_32 + s.mtimeLo);
      } else if (s.mtimeHi < 0 && s.mtimeHi > -SAFE_HIGH) {
        out.byte(0x2d);
        out.integer(-(s.mtimeHi * TWO_32 + s.mtimeLo));
      } else {
        out.i64(s.mtimeBig());
      }
      out.byte(0x2e);
      out.integer(s.mtimeNsec);
      out.byte(0x20);
      // PAYLOAD: an alias's target path, else the symlink target or backing path.
      if (s.alias) out.escaped(s.targetPath(), ESCAPE_LONE_DASH);
      else if (s.payloadAt < 0) out.byte(0x2d);
      else out.escapedRange(s.bytes, s.payloadAt, s.payloadAt + s.payloadLength, ESCAPE_LONE_DASH);
      out.byte(0x20);
      content(out, s);
      out.byte(0x20);
      if (s.digestAt >= 0) out.hexRange(s.bytes, s.digestAt, s.digestAt + 32);
      else out.byte(0x2d);
      for (let i = 0; i < s.xattrCount; i++) {
        out.byte(0x20);
        const key = s.xattrKeys[i];
        out.escapedRange(key, 0, key.length, ESCAPE_EQUAL);
        out.byte(0x3d);
        out.escapedRange(s.bytes, s.xattrAt[i], s.xattrAt[i] + s.xattrLength[i], ESCAPE_EQUAL);
      }
      out.byte(0x0a);
      c.flush();
    },
  };
  new ImageScan(bytes, opts).run(visitor);
  return c.done();
}

/** CONTENT, cut to the inode's size as C prints it (st_size as the length: 0 after an escaped whiteout). */
function content(out: ByteSink, s: ImageScan): void {
  if (s.contentAt < 0) {
    out.byte(0x2d);
    return;
  }
  const total = s.contentBlocks + s.contentTail;
  const shown = s.sizeHi === 0 && s.sizeLo < total ? s.sizeLo : total;
  const head = Math.min(shown, s.contentBlocks);
  const flags = shown === 1 ? ESCAPE_LONE_DASH : ESCAPE_STANDARD; // the lone "-" is the whole value
  out.escapedRange(s.bytes, s.contentAt, s.contentAt + head, flags);
  out.escapedRange(s.bytes, s.tailAt, s.tailAt + shown - head, flags);
}

/** `info ls` of one image (listing.ts lsChunks, from the scanner's fields). */
export function lsImage(bytes: Uint8Array, opts: ViewOptions = {}): Uint8Array[] {
  const c = new Chunks();
  const out = c.out;
  const visitor: ScanVisitor = {
    entry(s) {
      if (s.pathLength === 0) return;
      out.escapedRange(s.path, 0, s.pathLength, NOESCAPE_SPACE);
      const type = s.alias ? 0 : s.mode & S_IFMT;
      if (type === S_IFDIR) {
        out.byte(0x2f);
        out.byte(0x09);
      } else if (type === S_IFLNK) {
        out.text('\t-> ');
        out.escapedRange(s.bytes, s.payloadAt, s.payloadAt + s.payloadLength, ESCAPE_STANDARD);
      } else if (type === S_IFREG && s.payloadAt >= 0) {
        out.text('\t@ ');
        out.escapedRange(s.bytes, s.payloadAt, s.payloadAt + s.payloadLength, ESCAPE_STANDARD);
      }
      out.byte(0x0a);
      c.flush();
    },
  };
  new ImageScan(bytes, opts).run(visitor);
  return c.done();
}

/**
 * Adds the backing paths of an image's regular files (not aliases) to `into`, as latin1 strings
 * of their bytes (listing.ts collectObjects).
 */
export function imageObjects(bytes: Uint8Array, into: Set<string>, opts: ViewOptions = {}): void {
  const visitor: ScanVisitor = {
    entry(s) {
      if (s.alias || (s.mode & S_IFMT) !== S_IFREG || s.payloadAt < 0) return;
      into.add(latin1(s.bytes, s.payloadAt, s.payloadLength));
    },
  };
  new ImageScan(bytes, opts).run(visitor);
}

function latin1(bytes: Uint8Array, at: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('latin1');
}
