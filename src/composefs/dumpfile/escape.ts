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
const HEX_DIGITS = Uint8Array.from(HEX, (c) => c.charCodeAt(0));

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

  /** A non-negative integer below 2^53 in base 10 (8 for octal), without a string in between. */
  integer(n: number, base = 10): void {
    if (n > 0x7fffffff) {
      this.text(n.toString(base));
      return;
    }
    if (base === 8) {
      let digits = 1;
      for (let v = n >>> 3; v !== 0; v >>>= 3) digits++;
      this.reserve(digits);
      const buf = this.buf;
      let pos = this.pos + digits;
      this.pos = pos;
      for (let v = n; digits-- > 0; v >>>= 3) buf[--pos] = 0x30 + (v & 7);
      return;
    }
    let digits = 1;
    for (let v = n; v >= base; v = (v / base) | 0) digits++;
    this.reserve(digits);
    const buf = this.buf;
    let pos = this.pos + digits;
    this.pos = pos;
    for (let v = n; digits-- > 0; v = (v / base) | 0) buf[--pos] = 0x30 + (v % base);
  }

  /** A value as C prints a uint64_t: wrapped to 64 bits. */
  u64(n: bigint): void {
    const x = Number(n); // exact when it lands in [0, 2^53)
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) this.integer(x);
    else this.text(BigInt.asUintN(64, n).toString());
  }

  /** A value as C prints an int64_t: wrapped to 64 bits. */
  i64(n: bigint): void {
    const x = Number(n);
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) {
      this.integer(x);
    } else if (x < 0 && x >= -Number.MAX_SAFE_INTEGER) {
      this.byte(DASH);
      this.integer(-x);
    } else {
      this.text(BigInt.asIntN(64, n).toString());
    }
  }

  /** Bytes as lowercase hex. */
  hex(b: Uint8Array): void {
    this.hexRange(b, 0, b.length);
  }

  /** src[start, end) as lowercase hex. */
  hexRange(b: Uint8Array, start: number, end: number): void {
    this.reserve((end - start) * 2);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) {
      buf[pos++] = HEX_DIGITS[b[i] >> 4];
      buf[pos++] = HEX_DIGITS[b[i] & 15];
    }
    this.pos = pos;
  }

  /** The bytes written so far (a copy); the sink starts empty again. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** print_escaped(): `\\ \n \r \t` by name, other non-graphic bytes as lowercase \xHH. */
  escaped(val: Uint8Array, flags: number): void {
    this.escapedRange(val, 0, val.length, flags);
  }

  /** escaped() of src[start, end). */
  escapedRange(val: Uint8Array, start: number, end: number, flags: number): void {
    if ((flags & ESCAPE_LONE_DASH) !== 0 && end - start === 1 && val[start] === DASH) {
      this.text('\\x2d');
      return;
    }
    const table = escapeTable(flags);
    this.reserve((end - start) * 4);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) {
      const c = val[i];
      const e = table[c];
      if (e === 0) {
        buf[pos++] = c;
      } else if (e === HEX_ESCAPE) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = 0x78;
        buf[pos++] = HEX_DIGITS[c >> 4];
        buf[pos++] = HEX_DIGITS[c & 15];
      } else {
        buf[pos++] = BACKSLASH;
        buf[pos++] = e;
      }
    }
    this.pos = pos;
  }
}

/** Escape table entry: 0 prints the byte, HEX_ESCAPE prints \xHH, any other is the letter after '\'. */
const HEX_ESCAPE = 1;
const tables: Uint8Array[] = [];

/** The escape of every byte value under `flags` (only NOESCAPE_SPACE and ESCAPE_EQUAL matter here). */
function escapeTable(flags: number): Uint8Array {
  const k = flags & (NOESCAPE_SPACE | ESCAPE_EQUAL);
  let table = tables[k];
  if (table) return table;
  table = new Uint8Array(256);
  const lowest = (k & NOESCAPE_SPACE) !== 0 ? 0x20 : 0x21;
  for (let c = 0; c < 256; c++) {
    if (c === BACKSLASH) table[c] = BACKSLASH;
    else if (c === 0x0a) table[c] = 0x6e;
    else if (c === 0x0d) table[c] = 0x72;
    else if (c === 0x09) table[c] = 0x74;
    else if (c === EQUAL) table[c] = (k & ESCAPE_EQUAL) !== 0 ? HEX_ESCAPE : 0;
    else if (c < lowest || c > 0x7e) table[c] = HEX_ESCAPE;
  }
  tables[k] = table;
  return table;
}
