/**
 * The Wasm EROFS writer against the JS reference writer (the passes of src/composefs/erofs:
 * rewrite, order, layout, serialize, byte-exact with C on every vector): on a dumpfile (through
 * buildWasmImage) or on a caller's tree (through writeWasmImage), the same image bytes and
 * version, or the same CfsError (reason, field, code, message).
 */
import { expect } from 'chai';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { computeLayout } from '../../src/composefs/erofs/layout.js';
import { computeTree } from '../../src/composefs/erofs/order.js';
import { effectiveVersion, rewriteTree } from '../../src/composefs/erofs/rewrite.js';
import { serializeImage } from '../../src/composefs/erofs/serialize.js';
import type { Node } from '../../src/composefs/tree.js';
import { CfsError } from '../../src/errors.js';
import { buildWasmImage, type WasmImageOptions, writeWasmImage } from '../../src/wasm/composefs.js';

export const BUILD: WasmImageOptions = { strict: true, minVersion: 0, maxVersion: 1, useEpoch: false };

type Image = { image: Uint8Array; version: number };
/** An image and its version, or the CfsError's reason, field, code and message. */
export type Result = Image | { error: { reason: string; field?: string; code: string; message: string } };

function caught(fn: () => Image): Result {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CfsError) return { error: { reason: e.reason, field: e.field, code: e.code, message: e.message } };
    throw e;
  }
}

/** The JS reference writer: P0-P7 in TypeScript. */
function referenceImage(root: Node, o: WasmImageOptions): Image {
  const version = effectiveVersion(root, o);
  const { inodes, byNode } = rewriteTree(root, version, o.useEpoch);
  return { image: serializeImage(computeLayout(computeTree(inodes, byNode)), version), version };
}

export function wasmResult(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  return caught(() => buildWasmImage(dump, { ...BUILD, ...opts }));
}

export function jsResult(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  const o = { ...BUILD, ...opts };
  const root = parseDump(dump, { strict: o.strict });
  return caught(() => referenceImage(root, o));
}

function expectSame(wasm: Result, js: Result): Result {
  if ('error' in js) {
    expect('error' in wasm ? wasm.error : 'an image', 'error').to.deep.equal(js.error);
  } else {
    expect('image' in wasm, 'error' in wasm ? wasm.error.message : '').to.equal(true);
    const w = wasm as Image;
    expect(w.version, 'version').to.equal(js.version);
    expect(Buffer.compare(w.image, js.image), 'image bytes').to.equal(0);
  }
  return wasm;
}

/** Wasm and JS agree on a dumpfile (same bytes, or the same error); returns the Wasm result. */
export function expectSameAsJs(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  return expectSame(wasmResult(dump, opts), jsResult(dump, opts));
}

/** Wasm and JS agree on a caller's tree; returns the Wasm result. */
export function expectTreeSameAsJs(root: Node, opts: Partial<WasmImageOptions> = {}): Result {
  const o = { ...BUILD, ...opts };
  return expectSame(caught(() => writeWasmImage(root, o)), caught(() => referenceImage(root, o)));
}

export function image(r: Result): Uint8Array {
  if ('error' in r) throw new Error(`expected an image, got ${r.error.message}`);
  return r.image;
}
