/**
 * zstd streams (RFC 8878 frames), decoded block by block by the Wasm block decoder
 * (src/wasm/zstd.ts) under a frame guard that reads every frame and block header itself: a window over ZSTD_WINDOW_MAX is refused before
 * anything is allocated, blocks over the frame's block limit and reserved fields are refused, the
 * frame content size (when given) and the XXH64 content checksum (when present) are checked, and
 * a truncated frame or trailing bytes that are not a frame are refused. Skippable frames are
 * skipped. Memory: one window buffer (1.5 windows and a block), one block, one input chunk.
 */
import { CfsError } from '../../errors.js';
import { type BlockType, ZstdBlocks } from '../../wasm/zstd.js';

/**
 * Largest window accepted: 128 MiB, what `zstd -d` decodes without `--long`/`--memory`
 * (windowLogMax 27). A frame needing more is refused with its window size.
 */
export const ZSTD_WINDOW_MAX = 1 << 27;
/** Largest block content and block output (Block_Maximum_Size, further capped by the window). */
const BLOCK_MAX = 128 << 10;
const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_MASK = 0xfffffff0;
const BLOCK_RLE = 1;
const BLOCK_RESERVED = 3;
const DICT_ID_BYTES = [0, 1, 2, 4];

/** Pulls exact byte counts out of an async stream of chunks, tracking the stream offset. */
class Reader {
  private buf = new Uint8Array(0);
  private pos = 0;
  /** Offset in the stream of the next byte `take` returns. */
  offset = 0;
  private ended = false;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Ensures `n` bytes are buffered; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const rest = this.buf.subarray(this.pos);
      const next = new Uint8Array(rest.length + r.value.length);
      next.set(rest);
      next.set(r.value, rest.length);
      this.buf = next;
      this.pos = 0;
    }
    return true;
  }

  /** Buffered bytes left (after a failed `fill`). */
  get available(): number {
    return this.buf.length - this.pos;
  }

  /** The next `n` buffered bytes (after a successful `fill(n)`). */
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /** Skips `n` bytes without buffering them; false when the stream ends first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.available === 0 && !(await this.fill(1))) return false;
      const step = Math.min(n, this.available);
      this.take(step);
      n -= step;
    }
    return true;
  }
}

const u32le = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

function littleEndian(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[at + i];
  return v;
}

function human(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / 2 ** 20).toFixed(bytes % (1 << 20) ? 2 : 0)} MiB`;
  return `${bytes} bytes`;
}

/** Yields the decompressed bytes of the zstd stream `input`; errors name `file`, the offset and code ETAR. */
export async function* unzstd(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const r = new Reader(input[Symbol.asyncIterator]());
  const fail = (why: string, offset: number, cause?: unknown): never => {
    throw new CfsError(`corrupt or truncated zstd stream: ${why}`, { file, offset, field: 'zstd', code: 'ETAR' }, { cause });
  };
  const need = async (n: number, what: string): Promise<Uint8Array> => {
    if (!(await r.fill(n))) fail(`truncated ${what}`, r.offset + r.available);
    return r.take(n);
  };
  let blocks: ZstdBlocks | undefined;
  for (;;) {
    const start = r.offset;
    if (!(await r.fill(4))) {
      if (r.available === 0 && start > 0) return;
      fail(r.available === 0 ? 'empty stream' : 'truncated frame magic', start + r.available);
    }
    const magic = u32le(r.take(4), 0);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      const size = u32le(await need(4, 'skippable frame size'), 0);
      if (!(await r.skip(size))) fail('truncated skippable frame', r.offset);
      continue;
    }
    if (magic !== FRAME_MAGIC) fail(`no zstd frame magic (0x${magic.toString(16).padStart(8, '0')})`, start);
    blocks ??= new ZstdBlocks();
    yield* frame(r, start, blocks, file, fail, need);
  }
}

type Fail = (why: string, offset: number, cause?: unknown) => never;
type Need = (n: number, what: string) => Promise<Uint8Array>;

async function* frame(r: Reader, start: number, blocks: ZstdBlocks, file: string, fail: Fail, need: Need): AsyncGenerator<Uint8Array> {
  const fhd = (await need(1, 'frame header'))[0];
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const hasChecksum = (fhd >> 2) & 1;
  if (fhd & 0x08) fail('reserved bit set in the frame header', start + 4);
  const dictBytes = DICT_ID_BYTES[fhd & 3];
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  const rest = await need((single ? 0 : 1) + dictBytes + fcsBytes, 'frame header');
  let window = 0;
  if (!single) {
    const exponent = rest[0] >> 3;
    const base = 2 ** (10 + exponent);
    window = base + (base / 8) * (rest[0] & 7);
  }
  const dictId = littleEndian(rest, single ? 0 : 1, dictBytes);
  if (dictId !== 0) fail(`the frame needs dictionary ${dictId}`, start + 4);
  const hasSize = fcsBytes > 0;
  const contentSize = littleEndian(rest, (single ? 0 : 1) + dictBytes, fcsBytes) + (fcsFlag === 1 ? 256 : 0);
  if (single) window = contentSize;
  if (window > ZSTD_WINDOW_MAX) {
    throw new CfsError(
      `zstd frame needs a ${human(window)} window, over the ${human(ZSTD_WINDOW_MAX)} limit (what zstd -d decodes without --long)`,
      { file, offset: start, field: 'zstd', code: 'ETAR' },
    );
  }
  const blockMax = Math.min(window, BLOCK_MAX);
  const noMemory = blocks.frame(window, blockMax, hasChecksum === 1);
  if (noMemory) fail(noMemory, start);
  let produced = 0;
  for (let last = 0; !last; ) {
    const at = r.offset;
    const head = await need(3, 'block header');
    const bh = head[0] | (head[1] << 8) | (head[2] << 16);
    last = bh & 1;
    const type = (bh >> 1) & 3;
    const size = bh >>> 3;
    if (type === BLOCK_RESERVED) fail('reserved block type', at);
    if (size > blockMax) fail(`block of ${size} bytes, over the frame's ${blockMax}-byte block limit`, at);
    const content = await need(type === BLOCK_RLE ? 1 : size, 'block');
    const out = blocks.block(type as BlockType, content, size);
    if (typeof out === 'string') fail(out, at);
    produced += out.length;
    if (out.length > 0) yield out;
  }
  if (hasChecksum) {
    const at = r.offset;
    const want = u32le(await need(4, 'frame checksum'), 0);
    const got = blocks.checksum();
    if (got !== want) fail(`frame checksum mismatch (content ${hex(got)}, frame says ${hex(want)})`, at);
  }
  if (hasSize && produced !== contentSize) fail(`frame holds ${produced} bytes, its header says ${contentSize}`, start);
}

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;
