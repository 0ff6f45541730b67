/**
 * composefs images: dumpfile in (spec composefs-image.md §3), EROFS out (§2), byte-identical to
 * mkcomposefs 1.0.8, with the image's fs-verity digest (composefs-image.md §1.7). A dumpfile is parsed and written
 * in Wasm in one pass, which also words a refusal; `parseDump` (dumpfile/parse.ts) gives a tree.
 */
// The hasher alone: the fsverity index would also load the file/worker modules a build never needs.
import type { FsverityDigest } from '../fsverity/descriptor.js';
import { FsverityHasher } from '../fsverity/hasher.js';
import { buildWasmImage, type WasmImage, type WasmImageOptions } from '../wasm/composefs.js';
import { writeImage, writerOptions, type WriteOptions } from './erofs/writer.js';
import { Node } from '../tree/tree.js';

export { parseDump, parseDumpStream, type ParseDumpOptions } from './dumpfile/parse.js';
export { writeImage, type WriteOptions, type WrittenImage } from './erofs/writer.js';

export interface BuildOptions extends WriteOptions {
  /** Dumpfile input only: CFS_PARSE_STRICT semantics (composefs-image.md §3.6). */
  strict?: boolean;
  /** Dumpfile input only: name for error messages. */
  file?: string;
}

export interface BuiltImage {
  image: Uint8Array;
  /** fs-verity SHA-256 digest of the image (what `mkcomposefs --print-digest` prints), computed on first use. */
  readonly digest: FsverityDigest;
  /** Effective format version written in the header (composefs-image.md §2.10). */
  version: number;
}

function built({ image, version }: WasmImage): BuiltImage {
  let digest: FsverityDigest | undefined;
  // Computed on first use: writing an image does not need it.
  return {
    image,
    version,
    get digest() {
      if (!digest) {
        const h = new FsverityHasher();
        h.update(image);
        digest = h.digest();
      }
      return digest;
    },
  };
}

/**
 * Builds an image from a tree, from dumpfile text in memory, or from a stream of dumpfile
 * chunks (then asynchronously).
 */
export function buildImage(source: Node | Uint8Array, opts?: BuildOptions): BuiltImage;
export function buildImage(source: AsyncIterable<Uint8Array>, opts?: BuildOptions): Promise<BuiltImage>;
export function buildImage(source: Node | Uint8Array | AsyncIterable<Uint8Array>, opts: BuildOptions = {}): BuiltImage | Promise<BuiltImage> {
  if (source instanceof Node) return built(writeImage(source, opts));
  const wasmOpts: WasmImageOptions = { ...writerOptions(opts), strict: opts.strict ?? false, file: opts.file };
  if (source instanceof Uint8Array) return built(buildWasmImage(source, wasmOpts));
  return buildWasmImage(source, wasmOpts).then(built);
}
