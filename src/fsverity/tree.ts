/**
 * The fs-verity Merkle tree (composefs-image.md §1.3), kept in constant memory: one block-sized buffer per
 * level. Digests enter a level in order; a full level block is hashed at once into the level
 * above, and the partial blocks are zero-padded and hashed up at the end.
 */
import { IO_SIZE } from '../wasm/buffers.js';
import { hashBlocks } from '../wasm/sha.js';
import type { VerityParams } from './params.js';

export class MerkleTree {
  private readonly levels: Uint8Array[] = [];
  private readonly fills: number[] = [];
  private readonly leafDigests: Uint8Array;
  /** Data blocks hashed so far (the number of level-0 digests). */
  private leaves = 0;

  /**
   * With onLevel1, level-1 digests go to it instead of up the tree: a worker hashing a range of
   * whole level-1 blocks hands them to the thread that owns the tree.
   */
  constructor(
    private readonly p: VerityParams,
    private readonly onLevel1?: (digest: Uint8Array) => void,
  ) {
    this.leafDigests = new Uint8Array((IO_SIZE / p.blockSize) * p.digestSize);
  }

  /** Hashes data blocks (data.length is a multiple of the block size). */
  addBlocks(data: Uint8Array): void {
    const { blockSize, digestSize } = this.p;
    for (let off = 0; off < data.length; off += IO_SIZE) {
      const part = data.subarray(off, Math.min(off + IO_SIZE, data.length));
      const n = part.length / blockSize;
      hashBlocks(this.p, part, this.leafDigests);
      this.leaves += n;
      this.push(0, this.leafDigests.subarray(0, n * digestSize));
    }
  }

  /**
   * Adds the digests of whole level-1 blocks, each standing for `arity` data blocks (hashed
   * elsewhere, e.g. in a worker). Only valid while no partial level-0 block is pending.
   */
  addLevel1Digests(digests: Uint8Array): void {
    this.leaves += (digests.length / this.p.digestSize) * this.p.arity;
    this.push(1, digests);
  }

  /** The root hash: D zero bytes for no data (composefs-image.md §1.3 step 3). */
  root(): Uint8Array {
    const { digestSize, arity } = this.p;
    let level = 0;
    for (let count = this.leaves; count > 1; count = Math.ceil(count / arity), level++) {
      if (this.fills[level]) this.hashLevelBlock(level);
    }
    return this.leaves === 0 ? new Uint8Array(digestSize) : this.levels[level].slice(0, digestSize);
  }

  private push(level: number, digests: Uint8Array): void {
    const { blockSize } = this.p;
    const block = (this.levels[level] ??= new Uint8Array(blockSize));
    for (let off = 0; off < digests.length; ) {
      const fill = this.fills[level] ?? 0;
      const n = Math.min(blockSize - fill, digests.length - off);
      block.set(digests.subarray(off, off + n), fill);
      off += n;
      this.fills[level] = fill + n;
      if (fill + n === blockSize) this.hashLevelBlock(level);
    }
  }

  /** Hashes the (zero-padded) block of `level` into the level above. */
  private hashLevelBlock(level: number): void {
    const block = this.levels[level];
    block.fill(0, this.fills[level]);
    this.fills[level] = 0;
    const digest = new Uint8Array(this.p.digestSize);
    hashBlocks(this.p, block, digest);
    if (level === 0 && this.onLevel1) this.onLevel1(digest);
    else this.push(level + 1, digest);
  }
}
