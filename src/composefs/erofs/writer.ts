/**
 * The composefs EROFS writer (`lcfs_write_to` + `lcfs_write_erofs_to`, spec composefs-image.md
 * composefs-image.md §2.9), byte-identical to C mkcomposefs 1.0.8. It runs in Wasm (assembly/composefs/writer/):
 * the caller's tree crosses as records (src/wasm/tree-records.ts) and is never modified.
 */
import type { Node } from '../../tree/tree.js';
import { writeWasmImage } from '../../wasm/composefs.js';
import { CFS_DEFAULT_MAX_VERSION, CFS_DEFAULT_MIN_VERSION } from '../../formats/erofs.js';

export interface WriteOptions {
  /** Base format version (mkcomposefs --min-version; default 0). */
  minVersion?: number;
  /** Highest version the automatic upgrade may pick (--max-version; default 1). */
  maxVersion?: number;
  /** All mtimes 0.0 (--use-epoch). */
  useEpoch?: boolean;
}

export interface WrittenImage {
  image: Uint8Array;
  /** The effective format version in the header (composefs-image.md §2.10). */
  version: number;
}

/** The writer's options with the tool's defaults filled in. */
export function writerOptions(opts: WriteOptions): Required<WriteOptions> {
  return {
    minVersion: opts.minVersion ?? CFS_DEFAULT_MIN_VERSION,
    maxVersion: opts.maxVersion ?? CFS_DEFAULT_MAX_VERSION,
    useEpoch: opts.useEpoch ?? false,
  };
}

/** Writes the image of `root`. Throws CfsError like C's write errors. */
export function writeImage(root: Node, opts: WriteOptions = {}): WrittenImage {
  return writeWasmImage(root, writerOptions(opts));
}
