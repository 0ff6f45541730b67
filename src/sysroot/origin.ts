/**
 * The `.origin` keyfile next to each deployment directory (ostree.md §3.3): `origin.refspec`,
 * `origin.unlocked`, and `libostree-transient.pinned`.
 */
import { KeyFile } from '../formats/keyfile.js';
import { ioError } from '../errors.js';
import { type Fs, nodeFs, writeAtomic } from '../io/fs.js';

export const ORIGIN_GROUP = 'origin';
/** OSTREE_ORIGIN_TRANSIENT_GROUP: keys that do not survive an upgrade. */
export const TRANSIENT_GROUP = 'libostree-transient';

export function readOrigin(path: string, f: Fs = nodeFs): KeyFile | undefined {
  if (!f.lstat(path)) return undefined;
  return KeyFile.parse(f.readFile(path), path);
}

/**
 * Rewrites the origin via temp + fsync + rename, as ostree does (ostree.md §3.9 pin); the temp file is
 * named by src/io/temp-name.ts, so admin cleanup reclaims one a killed process left.
 */
export function writeOrigin(path: string, origin: KeyFile, f: Fs = nodeFs): void {
  try {
    writeAtomic(f, path, origin.toString(), { mode: 0o644, sync: true });
  } catch (e) {
    throw ioError(e, path) ?? e;
  }
}

/** ostree_deployment_is_pinned: `libostree-transient.pinned` as a boolean (unparseable → false). */
export function isPinned(origin: KeyFile | undefined): boolean {
  try {
    return origin?.getBoolean(TRANSIENT_GROUP, 'pinned') === true;
  } catch {
    return false;
  }
}

/** `ostree admin pin` / `--unpin`: sets `pinned=true` or removes the key. */
export function setPinned(origin: KeyFile, pinned: boolean): void {
  if (pinned) origin.setBoolean(TRANSIENT_GROUP, 'pinned', true);
  else origin.removeKey(TRANSIENT_GROUP, 'pinned');
}

/**
 * The keys of `[origin]` that name where a deployment's updates come from: `refspec=[REMOTE:]REF`
 * (an ostree repo), `container-image-reference=…` (a container registry, as ostree-rs-ext
 * writes it). The first present key wins.
 */
export const ORIGIN_SOURCE_KEYS = ['refspec', 'container-image-reference'] as const;
export type OriginSourceKey = (typeof ORIGIN_SOURCE_KEYS)[number];

/** The source an origin follows (kind + value), or undefined when it names none we know. */
export function originSource(origin: KeyFile | undefined): { kind: OriginSourceKey; value: string } | undefined {
  for (const kind of ORIGIN_SOURCE_KEYS) {
    const value = origin?.getString(ORIGIN_GROUP, kind);
    if (value) return { kind, value };
  }
  return undefined;
}

/** A new origin following `refspec` (ostree_sysroot_origin_new_from_refspec). */
export function originForRefspec(refspec: string): KeyFile {
  const kf = new KeyFile();
  kf.setString(ORIGIN_GROUP, 'refspec', refspec);
  return kf;
}
