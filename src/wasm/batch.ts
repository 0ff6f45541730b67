/**
 * Merkle roots of many small messages at once (fs-verity, composefs-image.md §1.3). Messages are laid out in a
 * Wasm arena, each zero-padded to whole blocks, with room for their tree levels after them; each
 * level of every message is hashed in one pass of fsverityHashMany, so the four SIMD lanes take
 * blocks of different files — a file of one block no longer leaves three lanes idle. Where
 * node:crypto hashes (sha.ts), it takes the same passes one message at a time.
 */
import { buffers, copyIn, view, type Region } from './buffers.js';
import { memoryBytes, wasm } from './instance.js';
import { digestSizeOf, nativeSha, type BlockHashing, type HashAlgId } from './sha.js';

interface ManyExports {
  fsverityHashMany(alg: number, table: number, count: number, size: number, salt: number): void;
}

/** Data and tree blocks of one batch. */
const ARENA_SIZE = 4 << 20;
/** Messages per batch (roots and descriptors of a batch fit the `out` and scratch buffers). */
export const MAX_MESSAGES = 1024;
/** Blocks hashed per fsverityHashMany call: (message, digest) address pairs. */
const TABLE_ENTRIES = 8192;

interface Arena {
  data: Region;
  table: Region;
}

let arena: Arena | undefined;

function theArena(): Arena {
  buffers(); // the fixed buffers first, so memory does not grow once views on the arena are out
  arena ??= { data: { ptr: wasm().alloc(ARENA_SIZE), size: ARENA_SIZE }, table: { ptr: wasm().alloc(TABLE_ENTRIES * 8), size: TABLE_ENTRIES * 8 } };
  return arena;
}

/** Collects (message, digest) address pairs and hashes them TABLE_ENTRIES at a time. */
class HashTable {
  private n = 0;
  private entries: Uint32Array;

  constructor(
    private readonly alg: HashAlgId,
    private readonly size: number,
    private readonly salt: number,
  ) {
    this.entries = this.fresh();
  }

  private fresh(): Uint32Array {
    const { table } = theArena();
    return new Uint32Array(memoryBytes().buffer, table.ptr, TABLE_ENTRIES * 2);
  }

  add(src: number, dst: number): void {
    if (this.n === TABLE_ENTRIES) this.run();
    this.entries[2 * this.n] = src;
    this.entries[2 * this.n + 1] = dst;
    this.n++;
  }

  /** node:crypto takes the unsalted messages one by one (faster than 4 lanes in Wasm: see sha.ts). */
  run(): void {
    const sha = this.salt === 0 ? nativeSha(this.alg) : null;
    if (sha) {
      const mem = memoryBytes();
      for (let i = 0; i < this.n; i++) {
        const src = this.entries[2 * i];
        mem.set(sha(mem.subarray(src, src + this.size)), this.entries[2 * i + 1]);
      }
    } else if (this.n > 0) {
      wasm<ManyExports>().fsverityHashMany(this.alg, theArena().table.ptr, this.n, this.size, this.salt);
    }
    this.n = 0;
    this.entries = this.fresh();
  }
}

export interface TreeShape extends BlockHashing {
  digestSize: number;
  /** Digests per tree block. */
  arity: number;
}

/** Merkle roots of up to MAX_MESSAGES messages laid out together. */
export class RootBatch {
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  /** Arena bytes taken by the messages' data and tree blocks. */
  private used = 0;
  private dataEnd = 0;

  constructor(private readonly h: TreeShape) {}

  get count(): number {
    return this.sizes.length;
  }

  /** Arena bytes a message of `size` bytes needs: its data blocks and every tree level above them. */
  private need(size: number): number {
    const { blockSize, arity } = this.h;
    let blocks = Math.ceil(size / blockSize);
    for (let c = blocks; c > 1; ) {
      c = Math.ceil(c / arity);
      blocks += c;
    }
    return blocks * blockSize;
  }

  /** True when a message of `size` bytes can join an empty batch. */
  accepts(size: number): boolean {
    return this.need(size) <= ARENA_SIZE;
  }

  /** True when a message of `size` bytes can join this batch now. */
  fits(size: number): boolean {
    return this.count < MAX_MESSAGES && this.used + this.need(size) <= ARENA_SIZE;
  }

  /**
   * Adds a message of `size` bytes (fits() must hold): fill(view) writes them into the arena. If
   * fill throws, the message is not added. Returns the message's index.
   */
  add(size: number, fill: (view: Uint8Array) => void): number {
    const off = this.dataEnd;
    fill(view(theArena().data.ptr + off, size));
    this.offsets.push(off);
    this.sizes.push(size);
    this.dataEnd += Math.ceil(size / this.h.blockSize) * this.h.blockSize;
    this.used += this.need(size);
    return this.count - 1;
  }

  /** Message i's bytes (a view valid until clear()). */
  data(i: number): Uint8Array {
    return view(theArena().data.ptr + this.offsets[i], this.sizes[i]);
  }

  /** Every message's root hash, D bytes each (D zero bytes for an empty message). */
  roots(): Uint8Array {
    const { alg, blockSize, digestSize, arity, saltBlock } = this.h;
    const { data } = theArena();
    const { out, small } = buffers();
    let salt = 0;
    if (saltBlock) {
      copyIn(small.ptr, saltBlock);
      salt = small.ptr;
    }
    const arenaBytes = view(data.ptr, this.used);
    // zero the last data block's tail of each message and the whole tree area
    for (let i = 0; i < this.count; i++) arenaBytes.fill(0, this.offsets[i] + this.sizes[i], this.offsets[i] + Math.ceil(this.sizes[i] / blockSize) * blockSize);
    arenaBytes.fill(0, this.dataEnd);
    view(out.ptr, this.count * digestSize).fill(0);
    // each active message: where its current level's blocks are and how many
    let level = this.sizes.map((size, i) => ({ i, ptr: data.ptr + this.offsets[i], blocks: Math.ceil(size / blockSize) })).filter((m) => m.blocks > 0);
    let treeEnd = data.ptr + this.dataEnd;
    const table = new HashTable(alg, blockSize, salt);
    while (level.length > 0) {
      const next: typeof level = [];
      for (const m of level) {
        if (m.blocks === 1) {
          table.add(m.ptr, out.ptr + m.i * digestSize);
          continue;
        }
        const above = Math.ceil(m.blocks / arity);
        for (let j = 0; j < m.blocks; j++) table.add(m.ptr + j * blockSize, treeEnd + j * digestSize);
        next.push({ i: m.i, ptr: treeEnd, blocks: above });
        treeEnd += above * blockSize;
      }
      table.run();
      level = next;
    }
    return view(out.ptr, this.count * digestSize).slice();
  }

  clear(): void {
    this.offsets.length = 0;
    this.sizes.length = 0;
    this.used = 0;
    this.dataEnd = 0;
  }
}

/** Plain SHA-256/512 of each `size`-byte piece of messages (size a multiple of the hash block, ≤ scratch), 4 lanes at a time. */
export function hashEach(alg: HashAlgId, messages: Uint8Array, size: number): Uint8Array {
  const { scratch, out } = buffers();
  const d = digestSizeOf(alg);
  const count = messages.length / size;
  const per = Math.min(Math.floor(scratch.size / size), Math.floor(out.size / d));
  const result = new Uint8Array(count * d);
  for (let first = 0; first < count; first += per) {
    const n = Math.min(per, count - first);
    copyIn(scratch.ptr, messages.subarray(first * size, (first + n) * size));
    const table = new HashTable(alg, size, 0);
    for (let i = 0; i < n; i++) table.add(scratch.ptr + i * size, out.ptr + i * d);
    table.run();
    result.set(view(out.ptr, n * d), first * d);
  }
  return result;
}
