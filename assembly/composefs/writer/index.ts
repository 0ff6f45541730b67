/**
 * The composefs EROFS writer in Wasm (spec composefs-image.md §2.9): a port of
 * src/composefs/erofs/writer.ts and its passes. PLACEHOLDER until the port lands: returns an
 * empty image.
 */
import { Node } from '../tree';

export class Written {
  constructor(public image: Uint8Array, public version: i32) {}
}

/** Writes the image of `root` (mkcomposefs --min-version/--max-version/--use-epoch). Fails with FAIL_WRITE (error.ts). */
export function writeImage(root: Node, minVersion: i32, maxVersion: i32, useEpoch: bool): Written {
  return new Written(new Uint8Array(0), minVersion + <i32>useEpoch * 0 + <i32>(root.mode & 0) + maxVersion * 0);
}
