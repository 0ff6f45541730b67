/**
 * The composefs EROFS writer (`lcfs_write_to` + `lcfs_write_erofs_to`, spec composefs-image.md
 * §2.9): byte-identical to C mkcomposefs 1.0.8. Passes: P0 version (rewrite.ts), P1-P3 working
 * copy and overlay rewriting (rewrite.ts), P4 BFS order (order.ts), P5-P6 layout (layout.ts),
 * P7 bytes (serialize.ts).
 */
import type { Node } from '../tree.js';
import { CFS_DEFAULT_MAX_VERSION, CFS_DEFAULT_MIN_VERSION } from './format.js';
import { computeLayout } from './layout.js';
import { computeTree } from './order.js';
import { effectiveVersion, rewriteTree } from './rewrite.js';
import { serializeImage } from './serialize.js';

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
  /** The effective format version in the header (§2.10). */
  version: number;
}

/** Writes the image of `root` (the caller's tree is not modified). Throws CfsError like C's write errors. */
export function writeImage(root: Node, opts: WriteOptions = {}): WrittenImage {
  const version = effectiveVersion(root, {
    minVersion: opts.minVersion ?? CFS_DEFAULT_MIN_VERSION,
    maxVersion: opts.maxVersion ?? CFS_DEFAULT_MAX_VERSION,
  });
  const { inodes, byNode } = rewriteTree(root, version, opts.useEpoch ?? false);
  const layout = computeLayout(computeTree(inodes, byNode));
  return { image: serializeImage(layout, version), version };
}
