/**
 * The Wasm dumpfile parser against the TypeScript one: the Wasm dumpfile → image path
 * (buildWasmImage) and parseDump's tree sent to the writer as records (writeImage): what each
 * makes of one dumpfile, in one comparable shape.
 */
import { createHash } from 'node:crypto';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { CfsError } from '../../src/errors.js';
import { buildWasmImage, WasmDumpRejected, type WasmImageOptions } from '../../src/wasm/composefs.js';

/** A dumpfile refused at `rejected` (0: no line) with its message, an image, or a writer refusal with its message. */
export type Outcome = { rejected: number; message: string } | { image: Uint8Array; version: number } | { writeError: string };

export const DEFAULT_BUILD: WasmImageOptions = { strict: true, minVersion: 0, maxVersion: 1, useEpoch: false, file: 'test.dump' };

export function jsOutcome(dump: Uint8Array, opts: WasmImageOptions = DEFAULT_BUILD): Outcome {
  let root;
  try {
    root = parseDump(dump, { strict: opts.strict, file: opts.file });
  } catch (e) {
    if (e instanceof CfsError) return { rejected: e.line ?? 0, message: e.message };
    throw e;
  }
  try {
    return writeImage(root, opts);
  } catch (e) {
    if (e instanceof CfsError) return { writeError: e.message };
    throw e;
  }
}

/** The Wasm build, fed in chunks of `chunkSize` bytes (whole when omitted). */
export function wasmOutcome(dump: Uint8Array, opts: WasmImageOptions = DEFAULT_BUILD, chunkSize = 0): Outcome {
  const chunks: Uint8Array[] = [];
  if (chunkSize > 0) for (let off = 0; off < dump.length; off += chunkSize) chunks.push(dump.subarray(off, off + chunkSize));
  try {
    return chunkSize > 0 ? buildWasmImage(chunks, opts) : buildWasmImage(dump, opts);
  } catch (e) {
    if (e instanceof WasmDumpRejected) return { rejected: e.line ?? 0, message: e.message };
    if (e instanceof CfsError) return { writeError: e.message };
    throw e;
  }
}

/** The outcome as compared: the refusal line and message, the writer's message, or the image's version, length and sha256. */
export function comparable(o: Outcome): string {
  if ('rejected' in o) return `rejected at line ${o.rejected}: ${o.message}`;
  if ('writeError' in o) return `write error: ${o.writeError}`;
  return `image v${o.version} ${o.image.length} bytes sha256 ${createHash('sha256').update(o.image).digest('hex')}`;
}
