/**
 * ostree's metadata objects as GVariants (spec ostree.md §2.4–§2.7): commit, dirtree, dirmeta.
 * Numeric fields are big-endian (ostree.md §1.1); checksums inside objects are 32 raw bytes.
 */
import { createHash } from 'node:crypto';
import { CfsError } from '../errors.js';
import { decode, encode, parseType, type GvValue, type VarDict } from '../formats/gvariant.js';
import { fromHex, toHex } from './objects.js';
import { S_IFDIR, S_IFMT } from '../tree/mode.js';

export const COMMIT_TYPE = parseType('(a{sv}aya(say)sstayay)');
export const DIRTREE_TYPE = parseType('(a(say)a(sayay))');
export const DIRMETA_TYPE = parseType('(uuua(ayay))');

export interface Commit {
  metadata: VarDict;
  /** Parent commit checksum (hex), or null. */
  parent: string | null;
  /** "Related objects" (name, checksum hex): always empty in practice. */
  related: [string, string][];
  subject: string;
  body: string;
  /** Seconds since the Unix epoch, UTC. */
  timestamp: bigint;
  rootTree: string;
  rootMeta: string;
}

export interface Xattr {
  name: Uint8Array;
  value: Uint8Array;
}

export interface DirMeta {
  uid: number;
  gid: number;
  /** Full st_mode including S_IFDIR. */
  mode: number;
  /** Sorted by name (ostree.md §2.6); names without the trailing NUL. */
  xattrs: Xattr[];
}

export interface DirTree {
  /** Regular files and symlinks: name → content checksum. Sorted by name. */
  files: { name: string; checksum: string }[];
  dirs: { name: string; tree: string; meta: string }[];
}

const invalid = (what: string, reason: string, file?: string) => new CfsError(reason, { file, field: what, code: 'EOBJECT' });

export function encodeCommit(c: Commit): Uint8Array {
  for (const [k] of c.metadata) if (k === '') throw invalid('commit', 'empty metadata key');
  return encode(COMMIT_TYPE, [
    c.metadata as GvValue[],
    c.parent ? fromHex(c.parent) : new Uint8Array(0),
    c.related.map(([n, cs]) => [n, fromHex(cs)]),
    c.subject,
    c.body,
    c.timestamp,
    fromHex(c.rootTree),
    fromHex(c.rootMeta),
  ], 'be');
}

/** ostree_validate_structureof_commit: keys non-empty, parent empty or 32 bytes, roots 32 bytes. */
export function decodeCommit(bytes: Uint8Array, file?: string): Commit {
  const [metadata, parent, related, subject, body, timestamp, tree, meta] = decode(COMMIT_TYPE, bytes, 'be', file) as [
    VarDict, Uint8Array, [string, Uint8Array][], string, string, bigint, Uint8Array, Uint8Array];
  if (metadata.some(([k]) => k === '')) throw invalid('commit.metadata', 'empty metadata key', file);
  if (parent.length !== 0 && parent.length !== 32) throw invalid('commit.parent', `parent checksum has ${parent.length} bytes`, file);
  if (tree.length !== 32 || meta.length !== 32) throw invalid('commit.root', 'root checksums must be 32 bytes', file);
  if (related.some(([, cs]) => cs.length !== 32)) throw invalid('commit.related', 'related checksums must be 32 bytes', file);
  return {
    metadata,
    parent: parent.length ? toHex(parent) : null,
    related: related.map(([n, cs]) => [n, toHex(cs)]),
    subject,
    body,
    timestamp,
    rootTree: toHex(tree),
    rootMeta: toHex(meta),
  };
}

/** ostree_commit_get_content_checksum: SHA-256(root dirtree ‖ root dirmeta) (ostree.md §2.7). */
export function contentChecksum(c: Commit): string {
  return createHash('sha256').update(fromHex(c.rootTree)).update(fromHex(c.rootMeta)).digest('hex');
}

export function encodeDirMeta(m: DirMeta): Uint8Array {
  checkDirMode(m.mode);
  const xattrs = [...m.xattrs].sort((a, b) => Buffer.compare(a.name, b.name));
  return encode(DIRMETA_TYPE, [m.uid, m.gid, m.mode, xattrs.map((x) => [withNul(x.name), x.value])], 'be');
}

export function decodeDirMeta(bytes: Uint8Array, file?: string): DirMeta {
  const [uid, gid, mode, xattrs] = decode(DIRMETA_TYPE, bytes, 'be', file) as [number, number, number, Uint8Array[][]];
  checkDirMode(mode, file);
  return { uid, gid, mode, xattrs: xattrs.map(([n, v]) => ({ name: withoutNul(n, file), value: v })) };
}

function checkDirMode(mode: number, file?: string): void {
  if ((mode & S_IFMT) !== S_IFDIR || (mode & ~(S_IFMT | 0o7777)) !== 0)
    throw invalid('dirmeta.mode', `invalid directory metadata mode ${mode}; not a directory`, file);
}

export function encodeDirTree(t: DirTree): Uint8Array {
  const byName = <T extends { name: string }>(a: T, b: T) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
  return encode(DIRTREE_TYPE, [
    [...t.files].sort(byName).map((f) => [checkName(f.name), fromHex(f.checksum)]),
    [...t.dirs].sort(byName).map((d) => [checkName(d.name), fromHex(d.tree), fromHex(d.meta)]),
  ], 'be');
}

/** ostree_validate_structureof_dirtree: valid names, 32-byte checksums (ostree.md §2.5). */
export function decodeDirTree(bytes: Uint8Array, file?: string): DirTree {
  const [files, dirs] = decode(DIRTREE_TYPE, bytes, 'be', file) as [[string, Uint8Array][], [string, Uint8Array, Uint8Array][]];
  const cs = (b: Uint8Array) => {
    if (b.length !== 32) throw invalid('dirtree', `checksum has ${b.length} bytes`, file);
    return toHex(b);
  };
  return {
    files: files.map(([name, c]) => ({ name: checkName(name, file), checksum: cs(c) })),
    dirs: dirs.map(([name, t, m]) => ({ name: checkName(name, file), tree: cs(t), meta: cs(m) })),
  };
}

function checkName(name: string, file?: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw invalid('dirtree.name', `invalid file name '${name}'`, file);
  return name;
}

function withNul(name: Uint8Array): Uint8Array {
  const out = new Uint8Array(name.length + 1);
  out.set(name);
  return out;
}

function withoutNul(name: Uint8Array, file?: string): Uint8Array {
  if (name.length < 2 || name[name.length - 1] !== 0 || name.indexOf(0) !== name.length - 1)
    throw invalid('xattr', 'xattr name must be non-empty and NUL-terminated', file);
  return name.subarray(0, name.length - 1);
}

/** The canonical empty root (ostree.md §2.14): empty dirtree and a 0/0/0o40755 dirmeta. */
export const EMPTY_DIRTREE = encodeDirTree({ files: [], dirs: [] });
export const ROOT_DIRMETA = encodeDirMeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] });
