/**
 * Bridge to build/composefs.wasm (assembly/composefs/index.ts): dumpfile bytes in, composefs image
 * out, in one fresh Wasm instance per build (its memory holds only that build's tree). Input is
 * copied in pieces, so memory stays bounded by the tree, not by the dumpfile. A trap is a failure
 * whose record (assembly/composefs/error.ts) says what happened.
 */
import { CfsError } from '../errors.js';
import { dumpError } from './dump-error.js';
import { writeError, type WriteErrno } from './write-error.js';
import type { Node } from '../tree/tree.js';
import { composefsModule, wasmImports } from './instance.js';
import { treeRecords } from './tree-records.js';
import { FAIL_DUMP, FAIL_WRITE } from './abi.js';

interface ComposefsExports {
  memory: WebAssembly.Memory;
  begin(strict: number): void;
  inputBuffer(len: number): number;
  feed(len: number): void;
  finish(minVersion: number, maxVersion: number, useEpoch: number): number;
  recordBuffer(len: number): number;
  feedRecords(len: number): void;
  finishTree(minVersion: number, maxVersion: number, useEpoch: number): number;
  imagePtr(): number;
  imageLen(): number;
  errorKind(): number;
  errorLine(): number;
  errorCodePtr(): number;
  errorCodeLen(): number;
  errorTextPtr(): number;
  errorTextLen(): number;
  errorReason(): number;
  errorField(): number;
  errorNumber(i: number): bigint;
}

/** Input is copied into Wasm memory this much at a time. */
const PIECE = 1 << 16;

export interface WasmWriteOptions {
  minVersion: number;
  maxVersion: number;
  useEpoch: boolean;
  /**
   * Return the image as a view of the build's Wasm memory instead of a copy: no second copy of
   * the image, but the view keeps the whole build's memory alive (for a caller that writes the
   * image out and drops it, as the CLI does).
   */
  view?: boolean;
}

export interface WasmImageOptions extends WasmWriteOptions {
  /** CFS_PARSE_STRICT (spec composefs-image.md §3.6). */
  strict: boolean;
  /** The dumpfile's name in error messages. */
  file?: string;
}

export interface WasmImage {
  image: Uint8Array;
  /** The format version written. */
  version: number;
}

/**
 * The Wasm parser refused the dumpfile: a CfsError (code EDUMP) with the file, line, field and
 * message the TypeScript parser gives for the same input.
 */
export class WasmDumpRejected extends CfsError {}

const decoder = new TextDecoder();

/** One build in its own instance. */
class Build {
  private readonly x: ComposefsExports;

  /** A dumpfile build with `strict` (`file`: its name in errors), or a tree build (records) without. */
  constructor(strict?: boolean, private readonly file?: string) {
    this.x = new WebAssembly.Instance(composefsModule(), wasmImports).exports as unknown as ComposefsExports;
    if (strict !== undefined) this.guard(() => this.x.begin(strict ? 1 : 0));
  }

  /** Decodes one chunk of whole tree records (src/wasm/tree-records.ts). */
  feedRecords(chunk: Uint8Array): void {
    const x = this.x;
    this.guard(() => {
      const ptr = x.recordBuffer(chunk.length);
      new Uint8Array(x.memory.buffer, ptr, chunk.length).set(chunk);
      x.feedRecords(chunk.length);
    });
  }

  /** Parses the complete lines of one chunk (the rest is carried inside Wasm). */
  feed(chunk: Uint8Array): void {
    const x = this.x;
    for (let off = 0; off < chunk.length; off += PIECE) {
      const piece = chunk.subarray(off, Math.min(off + PIECE, chunk.length));
      this.guard(() => {
        const ptr = x.inputBuffer(piece.length);
        new Uint8Array(x.memory.buffer, ptr, piece.length).set(piece);
        x.feed(piece.length);
      });
    }
  }

  finish(opts: WasmWriteOptions, tree = false): WasmImage {
    const x = this.x;
    return this.guard(() => {
      const version = (tree ? x.finishTree : x.finish)(opts.minVersion, opts.maxVersion, opts.useEpoch ? 1 : 0);
      const image = new Uint8Array(x.memory.buffer, x.imagePtr(), x.imageLen());
      return { image: opts.view ? image : image.slice(), version };
    });
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** The error for a trap, from the failure record. */
  private failure(err: unknown): Error {
    const x = this.x;
    const text = (ptr: number, len: number) => decoder.decode(new Uint8Array(x.memory.buffer, ptr, len));
    switch (x.errorKind()) {
      case FAIL_DUMP: {
        const quote = {
          a: BigInt.asUintN(64, x.errorNumber(0)),
          b: BigInt.asUintN(64, x.errorNumber(1)),
          bytes: new Uint8Array(x.memory.buffer, x.errorTextPtr(), x.errorTextLen()),
        };
        const e = dumpError(x.errorReason(), { file: this.file, line: x.errorLine() }, x.errorField(), quote);
        return new WasmDumpRejected(e.reason, e);
      }
      case FAIL_WRITE:
        return writeError(text(x.errorCodePtr(), x.errorCodeLen()) as WriteErrno, text(x.errorTextPtr(), x.errorTextLen()));
      default:
        return new Error('internal error in the Wasm composefs builder', { cause: err });
    }
  }
}

/**
 * Builds a composefs image from dumpfile bytes (mkcomposefs --from-file) in Wasm, reading a
 * stream once and keeping none of it. Throws WasmDumpRejected for an invalid dumpfile, the
 * writer's CfsError when the tree cannot be written.
 */
export function buildWasmImage(source: Uint8Array | Iterable<Uint8Array>, opts: WasmImageOptions): WasmImage;
export function buildWasmImage(source: AsyncIterable<Uint8Array>, opts: WasmImageOptions): Promise<WasmImage>;
export function buildWasmImage(
  source: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: WasmImageOptions,
): WasmImage | Promise<WasmImage> {
  const build = new Build(opts.strict, opts.file);
  if (source instanceof Uint8Array) {
    build.feed(source);
    return build.finish(opts);
  }
  if (Symbol.asyncIterator in source) return feedAsync(build, source, opts);
  for (const chunk of source) build.feed(chunk);
  return build.finish(opts);
}

async function feedAsync(build: Build, source: AsyncIterable<Uint8Array>, opts: WasmImageOptions): Promise<WasmImage> {
  for await (const chunk of source) build.feed(chunk);
  return build.finish(opts);
}

/** Writes the image of a caller's tree (any source) in Wasm; throws the writer's CfsError when it cannot be written. */
export function writeWasmImage(root: Node, opts: WasmWriteOptions): WasmImage {
  const build = new Build();
  for (const chunk of treeRecords(root)) build.feedRecords(chunk);
  return build.finish(opts, true);
}
