/**
 * Fixed buffers in Wasm memory, allocated once per thread on first use so that memory does not
 * grow afterwards: a scratch area data is copied into, an output area results come back in, and
 * a small pool of I/O buffers that file reads land in directly (hashed in place, no copy).
 */
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { memoryBytes, wasm } from './instance.js';

/** One I/O buffer: also the largest Merkle block size the hashing bridge accepts. */
export const IO_SIZE = 1 << 20;
const IO_POOL = 4;

export interface Region {
  ptr: number;
  size: number;
}

interface Layout {
  scratch: Region;
  out: Region;
  small: Region;
  free: Region[];
}

let layout: Layout | undefined;

function region(size: number): Region {
  return { ptr: wasm().alloc(size), size };
}

/** scratch: IO_SIZE for input; out: IO_SIZE/2 (digests of IO_SIZE bytes of ≥ 2·D-byte blocks); small: 256 bytes for a salt block or a digest. */
export function buffers(): Layout {
  layout ??= {
    scratch: region(IO_SIZE),
    out: region(IO_SIZE / 2),
    small: region(256),
    free: Array.from({ length: IO_POOL }, () => region(IO_SIZE)),
  };
  return layout;
}

/** A view of `length` bytes of Wasm memory at ptr (valid until memory grows). */
export function view(ptr: number, length: number): Uint8Array {
  return memoryBytes().subarray(ptr, ptr + length);
}

/** Copies data into Wasm memory at ptr. */
export function copyIn(ptr: number, data: Uint8Array): void {
  memoryBytes().set(data, ptr);
}

/**
 * A buffer file data is read into: a leased region of Wasm memory (hashed in place), or a plain
 * buffer when the pool is exhausted. Reads return a view of the bytes read, valid until the next
 * read on this buffer.
 */
export class IoBuffer {
  private readonly plain: Uint8Array | undefined;

  constructor(private readonly region: Region | undefined) {
    this.plain = region ? undefined : new Uint8Array(IO_SIZE);
  }

  /** A fresh view of the whole buffer (memory growth detaches older views of Wasm memory). */
  private bytes(): Uint8Array {
    return this.region ? view(this.region.ptr, IO_SIZE) : this.plain!;
  }

  /** Reads up to `length` (≤ IO_SIZE) bytes at `position`. */
  async read(file: FileHandle, position: number, length = IO_SIZE): Promise<Uint8Array> {
    const { bytesRead } = await file.read(this.bytes(), 0, length, position);
    return this.bytes().subarray(0, bytesRead);
  }

  readSync(fd: number, position: number, length = IO_SIZE): Uint8Array {
    const n = readSync(fd, this.bytes(), 0, length, position);
    return this.bytes().subarray(0, n);
  }

  release(): void {
    if (this.region) buffers().free.push(this.region);
  }
}

/** Leases an I/O buffer: in Wasm memory while the pool lasts. */
export function leaseIoBuffer(): IoBuffer {
  return new IoBuffer(buffers().free.pop());
}
