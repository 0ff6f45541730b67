/**
 * Bounds-checked little-endian access to an image held in memory. Every read names the field
 * it is for, so a malformed image fails with one CfsError (code EIMAGE) that says where and
 * what, instead of a RangeError or a silent read past the end.
 */
import { CfsError } from '../../errors.js';

export class ImageBytes {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Little-endian reads at offsets the caller has checked. */
  readonly view: DataView;
  private readonly buffer: Buffer;
  private readonly file?: string;

  constructor(bytes: Uint8Array, file?: string) {
    // A plain Uint8Array view: subarrays of a Buffer are Buffers, slower to create.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.file = file;
  }

  fail(reason: string, offset: number, field: string): never {
    throw new CfsError(reason, { file: this.file, offset, field, code: 'EIMAGE' });
  }

  /** Checks that [offset, offset + len) lies inside the image (offsets may be any number). */
  check(offset: number, len: number, field: string): void {
    if (!(offset >= 0 && len >= 0 && offset + len <= this.length && Number.isSafeInteger(offset + len))) {
      this.fail(`${len} bytes at offset ${offset} lie outside the image (${this.length} bytes)`, offset, field);
    }
  }

  u8(offset: number, field: string): number {
    this.check(offset, 1, field);
    return this.bytes[offset];
  }

  u16(offset: number, field: string): number {
    this.check(offset, 2, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, field: string): number {
    this.check(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, field: string): bigint {
    this.check(offset, 8, field);
    return this.view.getBigUint64(offset, true);
  }

  /** `len` bytes at `offset` as a latin1 string, one char per byte (like tree.ts nameKey). */
  latin1(offset: number, len: number): string {
    this.check(offset, len, 'name');
    return this.buffer.toString('latin1', offset, offset + len);
  }

  /** A view (no copy) of `len` bytes at `offset`. */
  slice(offset: number, len: number, field: string): Uint8Array {
    this.check(offset, len, field);
    return this.bytes.subarray(offset, offset + len);
  }
}

