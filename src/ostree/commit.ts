/**
 * Stub commits (spec ostree.md §2.14, §6.1): the canonical empty root plus metadata naming a
 * composefs image, so refs, log, signatures and deployments can point at the image.
 * Reading commits and resolving revisions (ostree.md §2.10).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { lookup, type VarDict, type Variant } from '../formats/gvariant.js';
import { decodeCommit, encodeCommit, EMPTY_DIRTREE, ROOT_DIRMETA, type Commit } from './formats.js';
import { isChecksum, readMetadata, toHex, writeMetadata } from './objects.js';
import { parseRefspec, readRef, writeRef } from './refs.js';
import type { Repo } from './repo.js';

/** Commit metadata keys (ostree.md §2.12) and ours, which use the `cfskit.` prefix (docs/FORMAT.md). */
export const META = {
  version: 'version',
  refBinding: 'ostree.ref-binding',
  composefsDigest: 'ostree.composefs.digest.v0',
  bootable: 'ostree.bootable',
  linux: 'ostree.linux',
  /** s: hex fs-verity digest of the image = its name under cfs/images/. */
  image: 'cfskit.image',
  /** u (BE): composefs image format version the image was written with (0 or 1). */
  formatVersion: 'cfskit.format-version',
} as const;

export interface StubCommitOptions {
  /** The branch the commit goes on (and is bound to); none: a commit no ref names. */
  branch?: string;
  subject?: string;
  body?: string;
  /** Parent checksum or rev; default the branch's current commit; null for none. */
  parent?: string | null;
  /** Extra metadata, appended after ours in this order. */
  metadata?: VarDict;
  /** fs-verity SHA-256 digest of the composefs image (32 bytes). */
  imageDigest: Uint8Array;
  formatVersion: number;
  version?: string;
  /** Kernel release when the image has usr/lib/modules/KVER/vmlinuz: marks the commit bootable. */
  kernelVersion?: string;
  /** Seconds since the epoch; default SOURCE_DATE_EPOCH, else now. */
  timestamp?: bigint;
  /** Bind the commit to `branch` but leave the ref alone (the caller moves it, e.g. after signing). */
  keepRef?: boolean;
}

/**
 * Writes the empty root and a stub commit, then moves the branch (if any) to it; returns the checksum.
 * Call it holding the writer lock (withRepoLock) so the branch's parent cannot change meanwhile.
 */
export function writeStubCommit(repo: Repo, o: StubCommitOptions): string {
  if (o.branch !== undefined) parseRefspec(o.branch);
  if (o.imageDigest.length !== 32) throw new CfsError(`image digest has ${o.imageDigest.length} bytes, need 32`, { field: 'imageDigest', code: 'ECOMMIT' });
  const branchHead = o.branch === undefined ? null : readRef(repo, o.branch) ?? null;
  const parent = o.parent === undefined ? branchHead : o.parent === null ? null : resolveRev(repo, o.parent);
  if (parent) readCommit(repo, parent);
  const metadata: VarDict = [];
  const put = (key: string, value: Variant) => {
    if (lookup(metadata, key)) throw new CfsError(`metadata key '${key}' given twice`, { field: key, code: 'ECOMMIT' });
    metadata.push([key, value]);
  };
  if (o.version !== undefined) put(META.version, { type: 's', value: o.version });
  put(META.composefsDigest, { type: 'ay', value: o.imageDigest });
  put(META.image, { type: 's', value: toHex(o.imageDigest) });
  put(META.formatVersion, { type: 'u', value: o.formatVersion });
  if (o.kernelVersion !== undefined) {
    put(META.bootable, { type: 'b', value: true });
    put(META.linux, { type: 's', value: o.kernelVersion });
  }
  // `ostree commit -b REF` binds the commit to its ref (ostree.md §2.12).
  if (o.branch !== undefined) put(META.refBinding, { type: 'as', value: [o.branch] });
  for (const [k, v] of o.metadata ?? []) put(k, v);
  const commit: Commit = {
    metadata,
    parent,
    related: [],
    subject: o.subject ?? '',
    body: o.body ?? '',
    timestamp: o.timestamp ?? defaultTimestamp(),
    rootTree: writeMetadata(repo, 'dirtree', EMPTY_DIRTREE),
    rootMeta: writeMetadata(repo, 'dirmeta', ROOT_DIRMETA),
  };
  const checksum = writeMetadata(repo, 'commit', encodeCommit(commit));
  if (o.branch !== undefined && !o.keepRef) writeRef(repo, o.branch, checksum);
  return checksum;
}

function defaultTimestamp(): bigint {
  const sde = process.env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && /^\d+$/.test(sde)) return BigInt(sde);
  return BigInt(Math.floor(Date.now() / 1000));
}

/** Loads and validates the commit a revision names. */
export function readCommit(repo: Repo, rev: string): { checksum: string; commit: Commit } {
  const checksum = resolveRev(repo, rev);
  const bytes = readMetadata(repo, 'commit', checksum);
  return { checksum, commit: decodeCommit(bytes, join('objects', checksum.slice(0, 2), `${checksum.slice(2)}.commit`)) };
}

/**
 * ostree_repo_resolve_rev (ostree.md §2.10): a full checksum literally; `REV^` = parent (repeatable);
 * refs/heads/REV, then refs/remotes/REV, `REMOTE:REF`; else a unique prefix of a stored commit.
 */
export function resolveRev(repo: Repo, rev: string): string {
  if (rev.endsWith('^')) {
    const base = resolveRev(repo, rev.slice(0, -1));
    const parent = readCommit(repo, base).commit.parent;
    if (!parent) throw new CfsError(`commit ${base} has no parent`, { field: 'rev', code: 'EREV' });
    return parent;
  }
  if (isChecksum(rev)) return rev;
  let refspec: { remote: string | null; name: string } | undefined;
  try {
    refspec = parseRefspec(rev);
  } catch {
    /* not a ref name; maybe a checksum prefix */
  }
  if (refspec) {
    const found = readRef(repo, rev) ?? (refspec.remote === null && rev.includes('/') ? readRef(repo, rev.replace('/', ':')) : undefined);
    if (found) return found;
  }
  if (/^[0-9a-f]{4,63}$/.test(rev)) {
    const matches = commitsWithPrefix(repo, rev);
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) throw new CfsError(`ambiguous checksum prefix '${rev}'`, { field: 'rev', code: 'EREV' });
  }
  throw new CfsError(`refspec '${rev}' not found`, { field: 'rev', code: 'EREV' });
}

function commitsWithPrefix(repo: Repo, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(repo.path, 'objects', prefix.slice(0, 2)));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.commit') && n.startsWith(prefix.slice(2)))
    .map((n) => prefix.slice(0, 2) + n.slice(0, -'.commit'.length))
    .filter(isChecksum);
}
