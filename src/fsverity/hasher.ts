/** Streaming fs-verity digest: chunks of any size in, constant memory (composefs-image.md §1). */
import { finalDigest, type FsverityDigest } from './descriptor.js';
import { resolveParams, type FsverityOptions, type VerityParams } from './params.js';
import { MerkleTree } from './tree.js';

/** Partial data is staged until this many bytes (or one block, if larger) can be hashed at once. */
const STAGE_SIZE = 64 * 1024;

/** The hasher's entry for level-1 digests computed by workers (kept off the public surface). */
export const addLevel1 = Symbol('addLevel1');

export class FsverityHasher {
  private readonly p: VerityParams;
  private readonly tree: MerkleTree;
  private readonly stage: Uint8Array;
  private staged = 0;
  private size = 0;
  private result: FsverityDigest | undefined;

  constructor(opts?: FsverityOptions) {
    this.p = resolveParams(opts);
    this.tree = new MerkleTree(this.p);
    this.stage = new Uint8Array(Math.max(STAGE_SIZE, this.p.blockSize));
  }

  update(chunk: Uint8Array): void {
    if (this.result) throw new Error('FsverityHasher.update() after digest()');
    this.size += chunk.length;
    let off = 0;
    if (this.staged > 0) {
      off = Math.min(this.stage.length - this.staged, chunk.length);
      this.stage.set(chunk.subarray(0, off), this.staged);
      this.staged += off;
      if (this.staged < this.stage.length) return;
      this.tree.addBlocks(this.stage);
      this.staged = 0;
    }
    const whole = chunk.length - off - ((chunk.length - off) % this.p.blockSize);
    // whole blocks are hashed straight from the caller's buffer
    if (whole > 0) this.tree.addBlocks(chunk.subarray(off, off + whole));
    this.stage.set(chunk.subarray(off + whole), 0);
    this.staged = chunk.length - off - whole;
  }

  /** The digest of all data so far; the hasher takes no more data after it. */
  digest(): FsverityDigest {
    if (!this.result) {
      const { blockSize } = this.p;
      if (this.staged > 0) {
        const end = Math.ceil(this.staged / blockSize) * blockSize;
        this.stage.fill(0, this.staged, end);
        this.tree.addBlocks(this.stage.subarray(0, end));
      }
      this.result = finalDigest(this.p, this.size, this.tree.root());
    }
    return this.result;
  }

  /** Level-1 digests of `bytes` bytes of data, before any other data (see MerkleTree.addLevel1Digests). */
  [addLevel1](digests: Uint8Array, bytes: number): void {
    this.size += bytes;
    this.tree.addLevel1Digests(digests);
  }
}
