/**
 * fs-verity digests of many small files at once (composefs-image.md §1.3–§1.5): blocks of different files
 * share the four SIMD lanes at every tree level and for the descriptors, where one small file
 * alone would hash on the scalar path. Same digests as FsverityHasher.
 */
import { hashEach, RootBatch } from '../wasm/batch.js';
import { DESCRIPTOR_SIZE, digestResult, writeDescriptor, type FsverityDigest } from './descriptor.js';
import { FsverityHasher } from './hasher.js';
import { resolveParams, type FsverityOptions, type VerityParams } from './params.js';

/**
 * A batch of files whose bytes are written straight into Wasm memory. Use: while fits(size),
 * add(size, fill); then digests(); read data(i) if needed; clear() before the next batch.
 */
export class DigestBatch {
  private readonly p: VerityParams;
  private readonly roots: RootBatch;

  constructor(opts?: FsverityOptions) {
    this.p = resolveParams(opts);
    this.roots = new RootBatch(this.p);
  }

  get count(): number {
    return this.roots.count;
  }

  /** True when a file of `size` bytes can go through a batch at all (else: FsverityHasher). */
  accepts(size: number): boolean {
    return this.roots.accepts(size);
  }

  /** True when a file of `size` bytes fits this batch now. */
  fits(size: number): boolean {
    return this.roots.fits(size);
  }

  /** Adds a file of `size` bytes, written by fill(view) (nothing is added if fill throws); returns its index. */
  add(size: number, fill: (view: Uint8Array) => void): number {
    return this.roots.add(size, fill);
  }

  /** File i's bytes (valid until clear()). */
  data(i: number): Uint8Array {
    return this.roots.data(i);
  }

  /** The digest of every file added, in order. */
  digests(): FsverityDigest[] {
    const { digestSize, hashAlg, alg } = this.p;
    const roots = this.roots.roots();
    const descriptors = new Uint8Array(this.count * DESCRIPTOR_SIZE);
    for (let i = 0; i < this.count; i++) {
      writeDescriptor(this.p, this.roots.data(i).length, roots.subarray(i * digestSize, (i + 1) * digestSize), descriptors, i * DESCRIPTOR_SIZE);
    }
    const hashes = hashEach(alg, descriptors, DESCRIPTOR_SIZE);
    // views of one buffer per batch, not an ArrayBuffer per file
    return Array.from({ length: this.count }, (_, i) => digestResult(hashAlg, hashes.subarray(i * digestSize, (i + 1) * digestSize)));
  }

  clear(): void {
    this.roots.clear();
  }
}

/** Digests of many byte arrays (same as digestBytes on each), small ones batched. */
export function digestMany(items: Uint8Array[], opts?: FsverityOptions): FsverityDigest[] {
  const batch = new DigestBatch(opts);
  const out = new Array<FsverityDigest>(items.length);
  let waiting: number[] = [];
  const run = (): void => {
    batch.digests().forEach((d, k) => (out[waiting[k]] = d));
    batch.clear();
    waiting = [];
  };
  items.forEach((item, i) => {
    if (!batch.accepts(item.length)) {
      const h = new FsverityHasher(opts);
      h.update(item);
      out[i] = h.digest();
      return;
    }
    if (!batch.fits(item.length)) run();
    batch.add(item.length, (view) => view.set(item));
    waiting.push(i);
  });
  if (waiting.length > 0) run();
  return out;
}
