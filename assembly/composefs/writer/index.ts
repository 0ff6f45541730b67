/**
 * The composefs EROFS writer in Wasm (`lcfs_write_to` + `lcfs_write_erofs_to`, spec
 * composefs-image.md §2.9), byte-identical to C mkcomposefs 1.0.8. Passes: P0 version
 * (rewrite.ts), P1-P3 working copy and overlay rewriting (rewrite.ts), P4 BFS order (order.ts),
 * P5-P6 layout (layout.ts), P7 bytes (serialize.ts). The caller's tree is not modified.
 */
import { Node } from '../tree';
import { computeLayout } from './layout';
import { computeTree } from './order';
import { checkVersions, effectiveVersion, rewriteTree } from './rewrite';
import { Survey } from './inode';
import { serializeImage } from './serialize';

export class Written {
  constructor(public image: Uint8Array, public version: i32) {}
}

/** Writes the image of `root` (mkcomposefs --min-version/--max-version/--use-epoch). Fails with FAIL_WRITE (error.ts). */
export function writeImage(root: Node, minVersion: i32, maxVersion: i32, useEpoch: bool): Written {
  checkVersions(minVersion, maxVersion);
  const survey = new Survey(root);
  const version = effectiveVersion(minVersion, maxVersion, survey.hasWhiteout);
  const inodes = rewriteTree(root, version, useEpoch, survey);
  const layout = computeLayout(computeTree(inodes));
  return new Written(serializeImage(layout, version), version);
}
