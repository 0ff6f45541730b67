/**
 * Output side of the dumpfile text: a growable byte buffer and composefs-info's
 * `print_escaped` (composefs-image.md §3.2 "Printer", §4.2 `ls`).
 */

/** Escape flags, as in tools/composefs-info.c. */
export const ESCAPE_STANDARD = 0;
/** `ls` paths: space printed literally. */
export const NOESCAPE_SPACE = 1 << 0;
/** Xattr keys and values: `=` printed as \x3d. */
export const ESCAPE_EQUAL = 1 << 1;
/** PAYLOAD and CONTENT: a value that is exactly "-" printed as \x2d. */
export const ESCAPE_LONE_DASH = 1 << 2;

const HEX = '0123456789abcdef';
const BACKSLASH = 0x5c;
const DASH = 0x2d;
const EQUAL = 0x3d;

export class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** ASCII text (numbers, separators). */
  text(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** The bytes written so far (a copy); the sink starts empty again. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** print_escaped(): `\\ \n \r \t` by name, other non-graphic bytes as lowercase \xHH. */
  escaped(val: Uint8Array, flags: number): void {
    if ((flags & ESCAPE_LONE_DASH) !== 0 && val.length === 1 && val[0] === DASH) {
      this.text('\\x2d');
      return;
    }
    const lowest = (flags & NOESCAPE_SPACE) !== 0 ? 0x20 : 0x21;
    const equal = (flags & ESCAPE_EQUAL) !== 0;
    this.reserve(val.length * 4);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < val.length; i++) {
      const c = val[i];
      if (c === BACKSLASH) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = BACKSLASH;
      } else if (c === 0x0a || c === 0x0d || c === 0x09) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = c === 0x0a ? 0x6e : c === 0x0d ? 0x72 : 0x74;
      } else if ((c === EQUAL && equal) || (c !== EQUAL && (c < lowest || c > 0x7e))) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = 0x78;
        buf[pos++] = HEX.charCodeAt(c >> 4);
        buf[pos++] = HEX.charCodeAt(c & 15);
      } else {
        buf[pos++] = c;
      }
    }
    this.pos = pos;
  }
}
