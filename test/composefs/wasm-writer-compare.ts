/**
 * The Wasm EROFS writer (through buildWasmImage) against the JS writer on one dumpfile: the
 * same image bytes and version, or the same CfsError (reason, field, code, message).
 */
import { expect } from 'chai';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { CfsError } from '../../src/errors.js';
import { buildWasmImage, type WasmImageOptions } from '../../src/wasm/composefs.js';

export const BUILD: WasmImageOptions = { strict: true, minVersion: 0, maxVersion: 1, useEpoch: false };

/** An image and its version, or the CfsError's reason, field, code and message. */
export type Result = { image: Uint8Array; version: number } | { error: { reason: string; field?: string; code: string; message: string } };

function caught(fn: () => { image: Uint8Array; version: number }): Result {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CfsError) return { error: { reason: e.reason, field: e.field, code: e.code, message: e.message } };
    throw e;
  }
}

export function wasmResult(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  return caught(() => buildWasmImage(dump, { ...BUILD, ...opts }));
}

export function jsResult(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  const o = { ...BUILD, ...opts };
  const root = parseDump(dump, { strict: o.strict });
  return caught(() => writeImage(root, o));
}

/** Wasm and JS agree (same bytes, or the same error); returns the Wasm result. */
export function expectSameAsJs(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  const wasm = wasmResult(dump, opts);
  const js = jsResult(dump, opts);
  if ('error' in js) {
    expect('error' in wasm ? wasm.error : 'an image', 'error').to.deep.equal(js.error);
  } else {
    expect('image' in wasm, 'error' in wasm ? wasm.error.message : '').to.equal(true);
    const w = wasm as { image: Uint8Array; version: number };
    expect(w.version, 'version').to.equal(js.version);
    expect(Buffer.compare(w.image, js.image), 'image bytes').to.equal(0);
  }
  return wasm;
}

export function image(r: Result): Uint8Array {
  if ('error' in r) throw new Error(`expected an image, got ${r.error.message} (${r.error.field})`);
  return r.image;
}
