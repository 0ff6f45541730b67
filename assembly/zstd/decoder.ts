/**
 * The zstd block decoder (RFC 8878 blocks: raw, RLE and compressed: Huffman literals in 1 or 4
 * streams, FSE sequences, repeat offsets). The frame guard (src/composefs/sources/zstd.ts) reads
 * frame and block headers, copies each block's content into `zstdInput()` and calls `zstdBlock`;
 * the output lies in a window buffer allocated once per frame size and compacted (its last
 * `window` bytes moved to the front) only when a block would not fit, so memory is bounded by
 * the window, not the stream. Every read of the block is bounded by its size (plus the padding
 * of the input buffer), every table and loop by the format's limits; a bad block returns a
 * negated reason of assembly/contract/zstd-reasons.ts.
 */
import {
  ZSTD_BLOCK_SIZE, ZSTD_FSE_REPEAT, ZSTD_FSE_TABLE, ZSTD_HUFFMAN_STREAM, ZSTD_HUFFMAN_TABLE, ZSTD_HUFFMAN_TREELESS,
  ZSTD_LITERALS_HEADER, ZSTD_LITERALS_OVERRUN, ZSTD_LITERALS_SIZE, ZSTD_OFFSET, ZSTD_SEQUENCES_HEADER, ZSTD_SEQUENCE_STREAM,
} from '../contract/zstd-reasons';
import { hashRange, xxh64Digest, xxh64Reset, xxh64State } from './xxh64';

/** Block_Maximum_Size. */
const BLOCK_MAX: usize = 128 << 10;
/** Bytes after every buffer that wide loads and copies may touch. */
const PAD: usize = 64;
const HUF_BITS_MAX: i32 = 11;
const LL_MAX_SYM: i32 = 35, ML_MAX_SYM: i32 = 52, OF_MAX_SYM: i32 = 31;
const LL_LOG_MAX: i32 = 9, ML_LOG_MAX: i32 = 9, OF_LOG_MAX: i32 = 8, HUF_WEIGHT_LOG_MAX: i32 = 6;
/** Smallest room kept for new output beyond the window, so compaction stays rare. */
const SLACK_MIN: usize = 1 << 20;

const input = heap.alloc(BLOCK_MAX + PAD);
const literals = heap.alloc(BLOCK_MAX + PAD);
/** Huffman decoding table: per `maxBits`-bit prefix, symbol << 8 | code length. */
const hufTable = heap.alloc(2 << HUF_BITS_MAX);
const weights = heap.alloc(256 + PAD);
/** Normalized counts (i16) and the next-state counters (u16) of the table being built. */
const norm = heap.alloc(2 * 256);
const nextState = heap.alloc(2 * 256);
/** FSE tables as built: per state, baseline << 16 | bits << 8 | symbol. */
const weightTable = heap.alloc(4 << HUF_WEIGHT_LOG_MAX);
const fseScratch = heap.alloc(4 << LL_LOG_MAX);
/**
 * Sequence tables: per state, the symbol's value base << 32 | its extra bits << 24 | the state's
 * bits << 16 | baseline (u64).
 */
const llCustom = heap.alloc(8 << LL_LOG_MAX), mlCustom = heap.alloc(8 << ML_LOG_MAX), ofCustom = heap.alloc(8 << OF_LOG_MAX);
const llRle = heap.alloc(8), mlRle = heap.alloc(8), ofRle = heap.alloc(8);
const llPredef = heap.alloc(8 << 6), mlPredef = heap.alloc(8 << 6), ofPredef = heap.alloc(8 << 5);
const hash = xxh64State();

/** Predefined distributions and the code → (baseline, extra bits) tables of the format. */
const LL_NORM = memory.data<i16>([4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1]);
const ML_NORM = memory.data<i16>([1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1]);
const OF_NORM = memory.data<i16>([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1]);
const LL_BASE = memory.data<u32>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
const LL_BITS = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
const ML_BASE = memory.data<u32>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
]);
const ML_BITS = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
]);

// The window buffer: `cap` bytes of output room (plus PAD), `pos` the next byte's place; the frame's
// history is win .. win + pos.
let win: usize = 0;
let cap: usize = 0;
let pos: usize = 0;
let windowSize: usize = 0;
let blockMax: usize = 0;
let checksum = false;
let out: usize = 0;
let rep1: u32 = 1, rep2: u32 = 4, rep3: u32 = 8;
let hufMaxBits: i32 = 0;
let hufReady = false;
let llTable: usize = 0, mlTable: usize = 0, ofTable: usize = 0;
let llLog: i32 = 0, mlLog: i32 = 0, ofLog: i32 = 0;
let tablesReady = false;
// Built by readCounts: the table's accuracy log and largest symbol.
let countLog: i32 = 0;
let countMaxSym: i32 = 0;
// The backward bitstream being read: its first byte and the number of bits not yet consumed.
let bBase: usize = 0;
let bPos: isize = 0;

buildFse(fseScratch, LL_NORM, LL_MAX_SYM, 6);
sequenceTable(llPredef, fseScratch, 6, 0);
buildFse(fseScratch, ML_NORM, ML_MAX_SYM, 6);
sequenceTable(mlPredef, fseScratch, 6, 2);
buildFse(fseScratch, OF_NORM, 28, 5);
sequenceTable(ofPredef, fseScratch, 5, 1);

/** Where the host copies a block's content (at most BLOCK_MAX bytes: the guard refuses larger blocks). */
export function zstdInput(): usize {
  return input;
}

/** Where the output of the last `zstdBlock` starts. */
export function zstdOutput(): usize {
  return out;
}

/** Starts a frame of window `window` and block limit `maxBlock` (≤ BLOCK_MAX); grows the window buffer when needed. */
export function zstdFrame(window: usize, maxBlock: usize, withChecksum: bool): void {
  const slack = max<usize>(window >> 1, SLACK_MIN);
  const want = window + slack + BLOCK_MAX;
  if (want > cap) {
    win = win == 0 ? heap.alloc(want + PAD) : heap.realloc(win, want + PAD);
    cap = want;
  }
  windowSize = window;
  blockMax = min<usize>(maxBlock, BLOCK_MAX);
  pos = 0;
  rep1 = 1;
  rep2 = 4;
  rep3 = 8;
  hufReady = false;
  tablesReady = false;
  checksum = withChecksum;
  xxh64Reset(hash);
}

/** Low 32 bits of the XXH64 of the frame's output so far. */
export function zstdChecksum(): u32 {
  return <u32>xxh64Digest(hash);
}

/** Decodes the block of `type` (0 raw, 1 RLE, 2 compressed) whose `size` content bytes are in the input buffer (for RLE: one byte, `size` the output). Returns the output length, or a negated reason. */
export function zstdBlock(type: i32, size: usize): i32 {
  if (pos + BLOCK_MAX > cap) {
    const keep = min<usize>(windowSize, pos);
    memory.copy(win, win + pos - keep, keep);
    pos = keep;
  }
  out = win + pos;
  let n: i32;
  if (type == 0) {
    if (size > blockMax) return -ZSTD_BLOCK_SIZE;
    memory.copy(out, input, size);
    n = <i32>size;
  } else if (type == 1) {
    if (size > blockMax) return -ZSTD_BLOCK_SIZE;
    memory.fill(out, load<u8>(input), size);
    n = <i32>size;
  } else {
    n = compressed(size);
    if (n < 0) return n;
  }
  pos += <usize>n;
  if (checksum) hashRange(hash, out, <usize>n);
  return n;
}

// ---- bitstreams

/** Bits [p, p+n) of the backward bitstream at bBase (n ≤ 56); bits before its start read as 0. */
// @ts-ignore: decorator
@inline function peekAt(p: isize, n: i32): u64 {
  const mask = (<u64>1 << <u64>n) - 1;
  if (p >= 0) return (load<u64>(bBase + (<usize>p >> 3)) >> <u64>(p & 7)) & mask;
  if (p + n <= 0) return 0;
  return (load<u64>(bBase) << <u64>(-p)) & mask;
}

// @ts-ignore: decorator
@inline function readBits(n: i32): u64 {
  bPos -= n;
  return peekAt(bPos, n);
}

/** Starts the backward bitstream of `size` bytes at `at`; false when it is empty or its last byte (holding the end mark) is 0. */
function startStream(at: usize, size: usize): bool {
  if (size == 0) return false;
  const last = <u32>load<u8>(at + size - 1);
  if (last == 0) return false;
  bBase = at;
  bPos = <isize>((size - 1) * 8) + <isize>(31 - clz<u32>(last));
  return true;
}

// ---- FSE tables

/**
 * Reads the normalized counts at `at` (`avail` bytes) into `norm` for symbols ≤ `maxSym` with an
 * accuracy log ≤ `maxLog`; sets countLog and countMaxSym. Returns the bytes used, or -1.
 */
function readCounts(at: usize, avail: usize, maxSym: i32, maxLog: i32): i32 {
  if (avail == 0) return -1;
  const limit = <u32>(avail * 8);
  const log = <i32>(load<u8>(at) & 15) + 5;
  if (log > maxLog) return -1;
  let bit: u32 = 4;
  let remaining: i32 = (1 << log) + 1;
  let threshold: i32 = 1 << log;
  let bits: i32 = log + 1;
  let sym: i32 = 0;
  let previousZero = false;
  while (remaining > 1 && sym <= maxSym) {
    if (previousZero) {
      let zeros = sym;
      for (;;) {
        if (bit > limit) return -1;
        const repeat = <i32>((load<u32>(at + (bit >> 3)) >> (bit & 7)) & 3);
        bit += 2;
        zeros += repeat;
        if (zeros > maxSym) return -1;
        if (repeat != 3) break;
      }
      while (sym < zeros) store<i16>(norm + (<usize>(sym++) << 1), 0);
      previousZero = false;
    }
    if (bit > limit) return -1;
    const v = <i32>(load<u32>(at + (bit >> 3)) >> (bit & 7));
    const most = 2 * threshold - 1 - remaining;
    let count: i32;
    if ((v & (threshold - 1)) < most) {
      count = v & (threshold - 1);
      bit += <u32>(bits - 1);
    } else {
      count = v & (2 * threshold - 1);
      if (count >= threshold) count -= most;
      bit += <u32>bits;
    }
    count--;
    remaining -= count < 0 ? -count : count;
    store<i16>(norm + (<usize>(sym++) << 1), <i16>count);
    previousZero = count == 0;
    if (remaining < 1) return -1;
    while (remaining < threshold) {
      bits--;
      threshold >>= 1;
    }
  }
  const used = (bit + 7) >> 3;
  if (remaining != 1 || used > <u32>avail) return -1;
  countLog = log;
  countMaxSym = sym - 1;
  return <i32>used;
}

/** Builds the decoding table of `log` at `table` from the normalized counts at `counts` (symbols 0..maxSym, summing to 1 << log). */
function buildFse(table: usize, counts: usize, maxSym: i32, log: i32): void {
  const size: i32 = 1 << log;
  let high = size - 1;
  for (let s = 0; s <= maxSym; s++) {
    const c = <i32>load<i16>(counts + (<usize>s << 1));
    if (c == -1) {
      store<u32>(table + (<usize>(high--) << 2), <u32>s);
      store<u16>(nextState + (<usize>s << 1), 1);
    } else {
      store<u16>(nextState + (<usize>s << 1), <u16>c);
    }
  }
  const step = (size >> 1) + (size >> 3) + 3;
  const mask = size - 1;
  let p = 0;
  for (let s = 0; s <= maxSym; s++) {
    const c = <i32>load<i16>(counts + (<usize>s << 1));
    for (let i = 0; i < c; i++) {
      store<u32>(table + (<usize>p << 2), <u32>s);
      do p = (p + step) & mask;
      while (p > high);
    }
  }
  for (let u = 0; u < size; u++) {
    const e = table + (<usize>u << 2);
    const s = load<u32>(e) & 0xff;
    const at = nextState + (<usize>s << 1);
    const n = <i32>load<u16>(at);
    store<u16>(at, <u16>(n + 1));
    const bits = log - (31 - clz<i32>(n));
    const baseline = (n << bits) - size;
    store<u32>(e, (<u32>baseline << 16) | (<u32>bits << 8) | s);
  }
}

/** Reads counts and builds a table. Returns the bytes used, or -1; sets countLog. */
function readTable(table: usize, at: usize, avail: usize, maxSym: i32, maxLog: i32): i32 {
  const used = readCounts(at, avail, maxSym, maxLog);
  if (used < 0) return -1;
  buildFse(table, norm, countMaxSym, countLog);
  return used;
}

// ---- literals

/** Reads the Huffman tree description at `at` (`avail` bytes) and builds hufTable. Returns the bytes used, or -1. */
function readHuffman(at: usize, avail: usize): i32 {
  if (avail == 0) return -1;
  const head = <usize>load<u8>(at);
  let count: i32 = 0;
  let used: usize;
  if (head < 128) {
    if (1 + head > avail) return -1;
    const tableBytes = readTable(weightTable, at + 1, head, 255, HUF_WEIGHT_LOG_MAX);
    if (tableBytes < 0) return -1;
    const log = countLog;
    if (!startStream(at + 1 + <usize>tableBytes, head - <usize>tableBytes)) return -1;
    let s1 = <u32>readBits(log);
    let s2 = <u32>readBits(log);
    for (;;) {
      let e = load<u32>(weightTable + (<usize>s1 << 2));
      if (count >= 255) return -1;
      store<u8>(weights + <usize>(count++), <u8>e);
      s1 = (e >> 16) + <u32>readBits(<i32>((e >> 8) & 0xff));
      if (bPos < 0) {
        if (count >= 255) return -1;
        store<u8>(weights + <usize>(count++), <u8>load<u32>(weightTable + (<usize>s2 << 2)));
        break;
      }
      e = load<u32>(weightTable + (<usize>s2 << 2));
      if (count >= 255) return -1;
      store<u8>(weights + <usize>(count++), <u8>e);
      s2 = (e >> 16) + <u32>readBits(<i32>((e >> 8) & 0xff));
      if (bPos < 0) {
        if (count >= 255) return -1;
        store<u8>(weights + <usize>(count++), <u8>load<u32>(weightTable + (<usize>s1 << 2)));
        break;
      }
    }
    used = 1 + head;
  } else {
    count = <i32>head - 127;
    const bytes = (<usize>count + 1) >> 1;
    if (1 + bytes > avail) return -1;
    for (let i = 0; i < count; i++) {
      const b = load<u8>(at + 1 + (<usize>i >> 1));
      store<u8>(weights + <usize>i, (i & 1) ? b & 15 : b >> 4);
    }
    used = 1 + bytes;
  }
  let total: u32 = 0;
  for (let i = 0; i < count; i++) {
    const w = <u32>load<u8>(weights + <usize>i);
    if (w > <u32>HUF_BITS_MAX) return -1;
    if (w > 0) total += (<u32>1 << w) >> 1;
  }
  if (total == 0) return -1;
  const maxBits = 32 - clz<u32>(total);
  if (maxBits > HUF_BITS_MAX) return -1;
  const rest = (<u32>1 << maxBits) - total;
  if (rest & (rest - 1)) return -1;
  store<u8>(weights + <usize>count, <u8>(32 - clz<u32>(rest)));
  // codes are given in order of rising weight, then symbol: each weight's run starts after the lighter ones
  const starts = memory.data(4 * 16);
  let next: u32 = 0;
  for (let w: u32 = 1; w <= <u32>HUF_BITS_MAX + 1; w++) {
    store<u32>(starts + (<usize>w << 2), next);
    for (let s = 0; s <= count; s++) if (<u32>load<u8>(weights + <usize>s) == w) next += (<u32>1 << w) >> 1;
  }
  for (let s = 0; s <= count; s++) {
    const w = <u32>load<u8>(weights + <usize>s);
    if (w == 0) continue;
    const first = load<u32>(starts + (<usize>w << 2));
    const len = (<u32>1 << w) >> 1;
    const entry = <u16>((<u32>s << 8) | (<u32>maxBits + 1 - w));
    for (let i: u32 = 0; i < len; i++) store<u16>(hufTable + (<usize>(first + i) << 1), entry);
    store<u32>(starts + (<usize>w << 2), first + len);
  }
  hufMaxBits = <i32>maxBits;
  hufReady = true;
  return <i32>used;
}

/** Decodes the Huffman stream of `size` bytes at `at` into `count` literals at `dst`; false unless it holds exactly those. */
function huffmanStream(at: usize, size: usize, dst: usize, count: usize): bool {
  if (!startStream(at, size)) return false;
  const bits = hufMaxBits;
  const end = dst + count;
  while (dst < end) {
    const e = <u32>load<u16>(hufTable + (<usize>peekAt(bPos - bits, bits) << 1));
    store<u8>(dst++, <u8>(e >> 8));
    bPos -= <isize>(e & 0xff);
  }
  return bPos == 0;
}

// Where the block's literals are once its literals section is read.
let litStart: usize = 0;
let litEnd: usize = 0;

/** Reads the literals section at the start of the block (`size` bytes). Returns the bytes it takes, or a negated reason. */
function readLiterals(size: usize): i32 {
  if (size == 0) return -ZSTD_LITERALS_HEADER;
  const b0 = <u32>load<u8>(input);
  const type = b0 & 3;
  const format = (b0 >> 2) & 3;
  const word = load<u32>(input) | 0; // little endian: b0 | b1 << 8 | ...
  if (type < 2) {
    let header: usize, regenerated: usize;
    if ((format & 1) == 0) {
      header = 1;
      regenerated = b0 >> 3;
    } else if (format == 1) {
      header = 2;
      regenerated = (word & 0xffff) >> 4;
    } else {
      header = 3;
      regenerated = (word & 0xffffff) >> 4;
    }
    if (regenerated > blockMax) return -ZSTD_LITERALS_SIZE;
    if (type == 0) {
      if (header + regenerated > size) return -ZSTD_LITERALS_HEADER;
      litStart = input + header;
      litEnd = litStart + regenerated;
      return <i32>(header + regenerated);
    }
    if (header + 1 > size) return -ZSTD_LITERALS_HEADER;
    memory.fill(literals, load<u8>(input + header), regenerated);
    litStart = literals;
    litEnd = literals + regenerated;
    return <i32>(header + 1);
  }
  let header: usize, bits: u32;
  const streams = format == 0 ? 1 : 4;
  if (format < 2) {
    header = 3;
    bits = 10;
  } else if (format == 2) {
    header = 4;
    bits = 14;
  } else {
    header = 5;
    bits = 18;
  }
  if (header > size) return -ZSTD_LITERALS_HEADER;
  const all = load<u64>(input) & ((<u64>1 << (<u64>header * 8)) - 1);
  const regenerated = <usize>((all >> 4) & ((<u64>1 << bits) - 1));
  const compressedSize = <usize>(all >> (4 + <u64>bits));
  if (regenerated > blockMax) return -ZSTD_LITERALS_SIZE;
  if (header + compressedSize > size) return -ZSTD_LITERALS_HEADER;
  let at = input + header;
  let avail = compressedSize;
  if (type == 2) {
    const used = readHuffman(at, avail);
    if (used < 0) return -ZSTD_HUFFMAN_TABLE;
    at += <usize>used;
    avail -= <usize>used;
  } else if (!hufReady) {
    return -ZSTD_HUFFMAN_TREELESS;
  }
  if (streams == 1) {
    if (!huffmanStream(at, avail, literals, regenerated)) return -ZSTD_HUFFMAN_STREAM;
  } else {
    if (avail < 6) return -ZSTD_HUFFMAN_STREAM;
    const s1 = <usize>load<u16>(at), s2 = <usize>load<u16>(at, 2), s3 = <usize>load<u16>(at, 4);
    if (<usize>6 + s1 + s2 + s3 >= avail) return -ZSTD_HUFFMAN_STREAM;
    const s4 = avail - 6 - s1 - s2 - s3;
    const part = (regenerated + 3) >> 2;
    if (part * 3 > regenerated) return -ZSTD_HUFFMAN_STREAM;
    let src = at + 6;
    if (!huffmanStream(src, s1, literals, part)) return -ZSTD_HUFFMAN_STREAM;
    src += s1;
    if (!huffmanStream(src, s2, literals + part, part)) return -ZSTD_HUFFMAN_STREAM;
    src += s2;
    if (!huffmanStream(src, s3, literals + part * 2, part)) return -ZSTD_HUFFMAN_STREAM;
    src += s3;
    if (!huffmanStream(src, s4, literals + part * 3, regenerated - part * 3)) return -ZSTD_HUFFMAN_STREAM;
  }
  litStart = literals;
  litEnd = literals + regenerated;
  return <i32>(header + compressedSize);
}

// ---- sequences

/** One sequence table entry for `symbol` of field `kind` (0 literals length, 1 offset, 2 match length) with FSE entry `e`. */
function sequenceEntry(kind: i32, e: u32): u64 {
  const s = <usize>(e & 0xff);
  let base: u32, extra: u32;
  if (kind == 0) {
    base = load<u32>(LL_BASE + (s << 2));
    extra = load<u8>(LL_BITS + s);
  } else if (kind == 1) {
    base = <u32>1 << <u32>s;
    extra = <u32>s;
  } else {
    base = load<u32>(ML_BASE + (s << 2));
    extra = load<u8>(ML_BITS + s);
  }
  return (<u64>base << 32) | (<u64>extra << 24) | (<u64>((e >> 8) & 0xff) << 16) | <u64>(e >> 16);
}

/** Converts the FSE table of `log` at `fse` into the sequence table at `dst`. */
function sequenceTable(dst: usize, fse: usize, log: i32, kind: i32): void {
  for (let u: usize = 0; u < (<usize>1 << log); u++) store<u64>(dst + (u << 3), sequenceEntry(kind, load<u32>(fse + (u << 2))));
}

/** Chooses the table of one sequence field from its mode. Returns the bytes its description takes, or -1. */
function fieldTable(kind: i32, mode: u32, at: usize, avail: usize): i32 {
  const maxSym = kind == 0 ? LL_MAX_SYM : kind == 1 ? OF_MAX_SYM : ML_MAX_SYM;
  if (mode == 0) {
    if (kind == 0) { llTable = llPredef; llLog = 6; }
    else if (kind == 1) { ofTable = ofPredef; ofLog = 5; }
    else { mlTable = mlPredef; mlLog = 6; }
    return 0;
  }
  if (mode == 1) {
    if (avail == 0) return -1;
    const s = <u32>load<u8>(at);
    if (s > <u32>maxSym) return -1;
    const rle = kind == 0 ? llRle : kind == 1 ? ofRle : mlRle;
    store<u64>(rle, sequenceEntry(kind, s));
    if (kind == 0) { llTable = rle; llLog = 0; }
    else if (kind == 1) { ofTable = rle; ofLog = 0; }
    else { mlTable = rle; mlLog = 0; }
    return 1;
  }
  if (mode == 2) {
    const maxLog = kind == 0 ? LL_LOG_MAX : kind == 1 ? OF_LOG_MAX : ML_LOG_MAX;
    const custom = kind == 0 ? llCustom : kind == 1 ? ofCustom : mlCustom;
    const used = readTable(fseScratch, at, avail, maxSym, maxLog);
    if (used < 0) return -1;
    sequenceTable(custom, fseScratch, countLog, kind);
    if (kind == 0) { llTable = custom; llLog = countLog; }
    else if (kind == 1) { ofTable = custom; ofLog = countLog; }
    else { mlTable = custom; mlLog = countLog; }
    return used;
  }
  return tablesReady ? 0 : -2;
}

/** Copies `n` bytes from `src` to `dst` (at least 16 bytes apart, or `src` after `dst`) in whole vectors: up to 15 bytes past `dst + n` are overwritten. */
// @ts-ignore: decorator
@inline function copyWild(dst: usize, src: usize, n: usize): void {
  const end = dst + n;
  while (dst < end) {
    v128.store(dst, v128.load(src));
    dst += 16;
    src += 16;
  }
}

/** Decodes a compressed block of `size` bytes; returns its output length or a negated reason. */
function compressed(size: usize): i32 {
  const litBytes = readLiterals(size);
  if (litBytes < 0) return litBytes;
  let at = input + <usize>litBytes;
  const end = input + size;
  if (at >= end) return -ZSTD_SEQUENCES_HEADER;
  const b0 = <u32>load<u8>(at);
  let count: u32;
  if (b0 < 128) {
    count = b0;
    at += 1;
  } else if (b0 < 255) {
    if (at + 2 > end) return -ZSTD_SEQUENCES_HEADER;
    count = ((b0 - 128) << 8) + <u32>load<u8>(at, 1);
    at += 2;
  } else {
    if (at + 3 > end) return -ZSTD_SEQUENCES_HEADER;
    count = <u32>load<u16>(at, 1) + 0x7f00;
    at += 3;
  }
  let op = out;
  const limit = out + blockMax;
  let lit = litStart;
  if (count > 0) {
    if (at >= end) return -ZSTD_SEQUENCES_HEADER;
    const modes = <u32>load<u8>(at++);
    if (modes & 3) return -ZSTD_SEQUENCES_HEADER;
    for (let kind = 0; kind < 3; kind++) {
      const mode = (modes >> (6 - 2 * <u32>kind)) & 3;
      const used = fieldTable(kind, mode, at, end - at);
      if (used == -2) return -ZSTD_FSE_REPEAT;
      if (used < 0) return -ZSTD_FSE_TABLE;
      at += <usize>used;
    }
    tablesReady = true;
    if (!startStream(at, end - at)) return -ZSTD_SEQUENCE_STREAM;
    let llState = <u32>readBits(llLog);
    let ofState = <u32>readBits(ofLog);
    let mlState = <u32>readBits(mlLog);
    for (let i: u32 = 0; i < count; i++) {
      const llE = load<u64>(llTable + (<usize>llState << 3));
      const mlE = load<u64>(mlTable + (<usize>mlState << 3));
      const ofE = load<u64>(ofTable + (<usize>ofState << 3));
      const ofValue = (ofE >> 32) + readBits(<i32>(ofE >> 24) & 0xff);
      // the match length's extra bits, then the literals length's, in one read (≤ 32 bits)
      const llExtra = <i32>(llE >> 24) & 0xff;
      const lengths = readBits((<i32>(mlE >> 24) & 0xff) + llExtra);
      const ml = <usize>(mlE >> 32) + <usize>(lengths >> <u64>llExtra);
      const ll = <usize>(llE >> 32) + <usize>(lengths & ((<u64>1 << <u64>llExtra) - 1));
      let offset: u64;
      if (ofValue > 3) {
        offset = ofValue - 3;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = <u32>min<u64>(offset, 0xffffffff);
      } else {
        const index = <u32>ofValue - 1 + (ll == 0 ? 1 : 0);
        if (index == 0) {
          offset = rep1;
        } else {
          offset = index == 1 ? rep2 : index == 2 ? rep3 : <u64>rep1 - 1;
          if (index != 1) rep3 = rep2;
          rep2 = rep1;
          rep1 = <u32>offset;
        }
      }
      if (i + 1 < count) {
        // the three states' bits in one read (≤ 26 bits): literals length, match length, offset
        const llBits = <i32>(llE >> 16) & 0xff, mlBits = <i32>(mlE >> 16) & 0xff, ofBits = <i32>(ofE >> 16) & 0xff;
        const v = readBits(llBits + mlBits + ofBits);
        llState = <u32>(llE & 0xffff) + <u32>(v >> <u64>(mlBits + ofBits));
        mlState = <u32>(mlE & 0xffff) + <u32>((v >> <u64>ofBits) & ((<u64>1 << <u64>mlBits) - 1));
        ofState = <u32>(ofE & 0xffff) + <u32>(v & ((<u64>1 << <u64>ofBits) - 1));
      }
      copyWild(op, lit, ll);
      op += ll;
      lit += ll;
      if (offset == 0 || offset > <u64>(op - win)) return -ZSTD_OFFSET;
      const matchEnd = op + ml;
      let from = op - <usize>offset;
      if (offset < 16) {
        // a short period: copy one period-multiple of at least 16 bytes byte by byte, then whole vectors from that far back
        let far = <usize>offset;
        while (far < 16) far <<= 1;
        const head = min<usize>(far, ml);
        for (let i: usize = 0; i < head; i++) store<u8>(op + i, load<u8>(from + i));
        from = op + head - far;
        op += head;
      }
      copyWild(op, from, matchEnd - op);
      op = matchEnd;
    }
    if (bPos != 0) return -ZSTD_SEQUENCE_STREAM;
  } else if (at != end) {
    return -ZSTD_SEQUENCES_HEADER;
  }
  const rest = litEnd - lit;
  if (rest > limit - op) return -ZSTD_BLOCK_SIZE;
  memory.copy(op, lit, rest);
  op += rest;
  return <i32>(op - out);
}
