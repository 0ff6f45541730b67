/**
 * The repository `summary` file, as `ostree summary -u` writes it: GVariant
 * `(a(s(taya{sv}))a{sv})` in little-endian normal form. One entry per local ref, sorted by name:
 * (commit object size, commit checksum, {ostree.commit.version?, ostree.commit.timestamp}); then
 * the repository's own keys: ostree.summary.mode, ostree.summary.last-modified,
 * ostree.summary.tombstone-commits, ostree.summary.indexed-deltas. ostree stores the two
 * timestamps big-endian inside the little-endian variant (GUINT64_TO_BE); so do we.
 */
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeCommit } from './formats.js';
import { decode, encode, lookup, parseType, type GvValue, type VarDict } from '../formats/gvariant.js';
import { fromHex, readMetadata, toHex } from './objects.js';
import { listRefs } from './refs.js';
import { type Repo, repoFs } from './repo.js';
import { removeIfExists } from '../io/fs.js';

export const SUMMARY_TYPE = parseType('(a(s(taya{sv}))a{sv})');
/** A summary larger than this is refused (ostree's own limit on fetched metadata is 10 MiB per ref list). */
export const MAX_SUMMARY_SIZE = 64 * 1024 * 1024;

export const SUMMARY_KEYS = {
  commitVersion: 'ostree.commit.version',
  commitTimestamp: 'ostree.commit.timestamp',
  mode: 'ostree.summary.mode',
  lastModified: 'ostree.summary.last-modified',
  tombstoneCommits: 'ostree.summary.tombstone-commits',
  indexedDeltas: 'ostree.summary.indexed-deltas',
} as const;

export interface SummaryRef {
  name: string;
  checksum: string;
  /** Size of the commit object in bytes. */
  size: bigint;
  timestamp?: bigint;
  version?: string;
}

export interface Summary {
  refs: SummaryRef[];
  metadata: VarDict;
}

/** A u64 as GUINT64_TO_BE leaves it for a little-endian writer. */
function swap64(v: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b.readBigUInt64LE();
}

export function encodeSummary(s: Summary): Uint8Array {
  const refs = [...s.refs].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return encode(SUMMARY_TYPE, [
    refs.map((r) => {
      const meta: VarDict = [];
      if (r.version !== undefined) meta.push([SUMMARY_KEYS.commitVersion, { type: 's', value: r.version }]);
      if (r.timestamp !== undefined) meta.push([SUMMARY_KEYS.commitTimestamp, { type: 't', value: swap64(r.timestamp) }]);
      return [r.name, [r.size, fromHex(r.checksum), meta as GvValue[]]];
    }),
    s.metadata as GvValue[],
  ], 'le');
}

/** Decodes a summary (bounded by MAX_SUMMARY_SIZE); checksums must be 32 bytes. */
export function decodeSummary(bytes: Uint8Array, file = 'summary'): Summary {
  if (bytes.length > MAX_SUMMARY_SIZE) throw new CfsError(`summary larger than ${MAX_SUMMARY_SIZE} bytes`, { file, code: 'ESUMMARY' });
  const [refs, metadata] = decode(SUMMARY_TYPE, bytes, 'le', file) as [[string, [bigint, Uint8Array, VarDict]][], VarDict];
  return {
    refs: refs.map(([name, [size, csum, meta]]) => {
      if (csum.length !== 32) throw new CfsError(`checksum has ${csum.length} bytes`, { file, field: `ref ${name}`, code: 'ESUMMARY' });
      const ts = lookup(meta, SUMMARY_KEYS.commitTimestamp);
      const version = lookup(meta, SUMMARY_KEYS.commitVersion);
      return {
        name, checksum: toHex(csum), size,
        timestamp: ts?.type === 't' ? swap64(ts.value as bigint) : undefined,
        version: version?.type === 's' ? (version.value as string) : undefined,
      };
    }),
    metadata,
  };
}

/** The summary of the repository's local refs now. */
export function buildSummary(repo: Repo, now: bigint): Summary {
  const refs: SummaryRef[] = [];
  for (const [name, checksum] of listRefs(repo)) {
    if (name.includes(':')) continue; // remote refs are not published
    const bytes = readMetadata(repo, 'commit', checksum);
    const commit = decodeCommit(bytes, checksum);
    const version = lookup(commit.metadata, 'version');
    refs.push({ name, checksum, size: BigInt(bytes.length), timestamp: commit.timestamp, version: version?.type === 's' ? (version.value as string) : undefined });
  }
  const metadata: VarDict = [
    [SUMMARY_KEYS.mode, { type: 's', value: repo.config.getValue('core', 'mode') ?? 'bare' }],
    [SUMMARY_KEYS.lastModified, { type: 't', value: swap64(now) }],
    [SUMMARY_KEYS.tombstoneCommits, { type: 'b', value: repo.config.getBoolean('core', 'tombstone-commits') ?? false }],
    [SUMMARY_KEYS.indexedDeltas, { type: 'b', value: true }],
  ];
  return { refs, metadata };
}

/** `ostree summary -u`: writes `summary` (temp + rename) and drops a stale `summary.sig`. */
export function updateSummary(repo: Repo): void {
  const sde = process.env.SOURCE_DATE_EPOCH;
  const now = sde !== undefined && /^\d+$/.test(sde) ? BigInt(sde) : BigInt(Math.floor(Date.now() / 1000));
  writeFileAtomic(join(repo.path, 'summary'), encodeSummary(buildSummary(repo, now)), { tmpDir: repo.tmpDir, fs: repoFs(repo) });
  removeIfExists(repoFs(repo), join(repo.path, 'summary.sig'));
}

/** After commit, prune and sign: `[core] auto-update-summary=true` keeps the summary current. */
export function autoUpdateSummary(repo: Repo): boolean {
  if (repo.config.getBoolean('core', 'auto-update-summary') !== true) return false;
  updateSummary(repo);
  return true;
}
