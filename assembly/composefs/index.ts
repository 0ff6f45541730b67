/**
 * Entry of build/composefs.wasm: dumpfile or tree → composefs image in one fresh instance per
 * build (stub runtime, nothing freed). For a dumpfile the host calls `begin`, then `inputBuffer` +
 * `feed` per chunk, then `finish`; for a caller's tree `recordBuffer` + `feedRecords` per chunk of
 * records (tree-records.ts), then `finishTree`. The image is at `imagePtr`/`imageLen`. A trap
 * means failure: the record is read through error.ts's accessors (src/wasm/composefs.ts).
 */
import { beginDump, finishDump } from './dumpfile';
import { finishRecords } from './tree-records';
import { Written, writeImage } from './writer/index';

export { inputBuffer, feed } from './dumpfile';
export { recordBuffer, feedRecords } from './tree-records';
export { errorKind, errorLine, errorCodePtr, errorCodeLen, errorTextPtr, errorTextLen, errorReason, errorField, errorNumber } from './error';

let image: Uint8Array = new Uint8Array(0);

/** Starts a build; `strict` is CFS_PARSE_STRICT (spec composefs-image.md §3.6). */
export function begin(strict: bool): void {
  beginDump(strict);
}

/** Ends the dumpfile and writes the image (mkcomposefs --min-version/--max-version/--use-epoch); returns its format version. */
export function finish(minVersion: i32, maxVersion: i32, useEpoch: bool): i32 {
  return keep(writeImage(finishDump(), minVersion, maxVersion, useEpoch));
}

/** Ends a tree fed as records (tree-records.ts, no `begin`) and writes its image, as `finish`. */
export function finishTree(minVersion: i32, maxVersion: i32, useEpoch: bool): i32 {
  return keep(writeImage(finishRecords(), minVersion, maxVersion, useEpoch));
}

function keep(written: Written): i32 {
  image = written.image;
  return written.version;
}

export function imagePtr(): usize {
  return image.dataStart;
}

export function imageLen(): i32 {
  return image.length;
}
