/**
 * Checks of the Wasm image builder with no second writer to compare against (the C tool's bytes
 * are checked on the vectors): a dumpfile built by the Wasm parser gives the same image, or the
 * same CfsError, as the TypeScript parser's tree sent through the tree records; and every image
 * read back by the TypeScript reader and written again is the same bytes (image → tree → image).
 */
import { expect } from 'chai';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { roundTripHazards } from './reader-model.js';
import type { Node } from '../../src/tree/tree.js';
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

export function wasmResult(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  return caught(() => buildWasmImage(dump, { ...BUILD, ...opts }));
}

/** The TypeScript parser's tree through the tree records. */
function treePath(dump: Uint8Array, opts: Partial<WasmImageOptions>): { tree: Node; result: Result } {
  const o = { ...BUILD, ...opts };
  const tree = parseDump(dump, { strict: o.strict });
  return { tree, result: caught(() => writeWasmImage(tree, o)) };
}

/**
 * An image read back and written again gives the same bytes, unless its source `tree` has one of
 * the read-back hazards of composefs-image.md §3.7 / §2.12 (reader-model.ts).
 */
function expectRoundTrip(r: Result, tree: Node): Result {
  if ('image' in r && roundTripHazards(tree).length === 0) {
    const again = writeWasmImage(readImage(r.image), { minVersion: r.version, maxVersion: r.version, useEpoch: false });
    expect(again.version, 'round trip: version').to.equal(r.version);
    expect(Buffer.compare(again.image, r.image), 'round trip: image → tree → image').to.equal(0);
  }
  return r;
}

function expectSame(wasm: Result, other: Result): Result {
  if ('error' in other) {
    expect('error' in wasm ? wasm.error : 'an image', 'error').to.deep.equal(other.error);
  } else {
    expect('image' in wasm, 'error' in wasm ? wasm.error.message : '').to.equal(true);
    const w = wasm as Image;
    expect(w.version, 'version').to.equal(other.version);
    expect(Buffer.compare(w.image, other.image), 'image bytes').to.equal(0);
  }
  return wasm;
}

/** Both parsers give the same image (or the same error), and the image round-trips; returns the result. */
export function expectConsistent(dump: Uint8Array, opts: Partial<WasmImageOptions> = {}): Result {
  const { tree, result } = treePath(dump, opts);
  return expectRoundTrip(expectSame(wasmResult(dump, opts), result), tree);
}

/** A caller's tree: its image (if any) round-trips; returns the result. */
export function expectTreeConsistent(root: Node, opts: Partial<WasmImageOptions> = {}): Result {
  return expectRoundTrip(caught(() => writeWasmImage(root, { ...BUILD, ...opts })), root);
}

export function image(r: Result): Uint8Array {
  if ('error' in r) throw new Error(`expected an image, got ${r.error.message}`);
  return r.image;
}
