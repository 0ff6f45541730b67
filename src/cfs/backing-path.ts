/**
 * The one check of an image's backing paths (docs/FORMAT.md "Backing paths"). A regular file
 * without inline content names its data by a payload (the overlay redirect) that must be the
 * store's object path of its own fs-verity digest: `XX/REST`, lowercase hex, 2 + 62 digits
 * (fsverity-sha256). Nothing else — no `..`, no leading `/`, no other length — ever reaches a
 * path join, so an image cannot name a file outside the store.
 */
import { CfsError } from '../errors.js';
import { ByteSink, ESCAPE_STANDARD } from '../composefs/dumpfile/escape.js';

/** Digest length of the store's algorithm (cfs/meta.json `fsverity-sha256-12`), in bytes. */
const DIGEST_BYTES = 32;
const OBJECT_PATH = new RegExp(`^[0-9a-f]{2}/[0-9a-f]{${DIGEST_BYTES * 2 - 2}}$`);
/** Bytes of a hostile payload shown in an error line. */
const SHOWN_BYTES = 80;

/**
 * The object (hex digest) a backing path names. Throws a CfsError at `place` (the image and the
 * file's path in it) when the path is not the object path form, or disagrees with the file's
 * fs-verity digest (when the image records one).
 */
export function backingObject(payload: Uint8Array, digest: Uint8Array | null, place: { file?: string; path?: Uint8Array } = {}): string {
  const where = { file: place.file, field: place.path && shown(place.path), code: 'EBACKING' as const };
  const text = Buffer.from(payload).toString('latin1');
  if (!OBJECT_PATH.test(text)) {
    throw new CfsError(`backing path '${shown(payload)}' is not an object path XX/REST of ${DIGEST_BYTES * 2} hex digits`, where);
  }
  const hex = text.slice(0, 2) + text.slice(3);
  if (digest) {
    const named = Buffer.from(digest).toString('hex');
    if (named !== hex) throw new CfsError(`backing path ${text} differs from the file's fs-verity digest ${named}`, where);
  }
  return hex;
}

/** Bytes for an error line: C escapes, at most SHOWN_BYTES of them. */
function shown(bytes: Uint8Array): string {
  const out = new ByteSink();
  out.escaped(bytes.subarray(0, SHOWN_BYTES), ESCAPE_STANDARD);
  return Buffer.from(out.take()).toString('latin1') + (bytes.length > SHOWN_BYTES ? '...' : '');
}
