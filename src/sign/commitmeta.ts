/**
 * A commit's detached metadata `objects/XX/REST.commitmeta`: an `a{sv}` GVariant (little-endian,
 * as ostree writes it) next to the commit, replaced atomically; it is not covered by the commit's
 * checksum, which is why signatures live there.
 */
import { existsSync } from 'node:fs';
import { decode, encode, lookup, type GvValue, type VarDict } from '../formats/gvariant.js';
import { writeFileAtomic } from '../io/atomic.js';
import { objectPath, readMetadata } from '../ostree/objects.js';
import { type Repo, repoFs } from '../ostree/repo.js';
import { SIGNATURES_KEY } from './ed25519.js';

export const DETACHED_TYPE = 'a{sv}';

export function decodeDetached(bytes: Uint8Array, file?: string): VarDict {
  return decode(DETACHED_TYPE, bytes, 'le', file) as VarDict;
}

export function encodeDetached(meta: VarDict): Uint8Array {
  return encode(DETACHED_TYPE, meta as GvValue[], 'le');
}

export function readDetached(repo: Repo, checksum: string): VarDict | undefined {
  const path = objectPath(repo, checksum, 'commitmeta');
  if (!existsSync(path)) return undefined;
  return decodeDetached(readMetadata(repo, 'commitmeta', checksum), path);
}

export function writeDetached(repo: Repo, checksum: string, meta: VarDict): void {
  writeFileAtomic(objectPath(repo, checksum, 'commitmeta'), encodeDetached(meta), { tmpDir: repo.tmpDir, fs: repoFs(repo) });
}

/** The `ostree.sign.ed25519` signatures of detached metadata (none when absent or mistyped). */
export function signaturesOf(meta: VarDict | undefined): Uint8Array[] {
  const v = meta && lookup(meta, SIGNATURES_KEY);
  return v?.type === 'aay' ? (v.value as Uint8Array[]) : [];
}

/** The metadata with `sigs` added to its signatures (a signature already there is kept once). */
export function withSignatures(meta: VarDict, sigs: Uint8Array[]): VarDict {
  const all = signaturesOf(meta);
  for (const s of sigs) if (!all.some((a) => Buffer.from(a).equals(s))) all.push(s);
  return [...meta.filter(([k]) => k !== SIGNATURES_KEY), [SIGNATURES_KEY, { type: 'aay', value: all }]];
}
