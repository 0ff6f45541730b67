/**
 * Pull of an ordinary ostree commit from an archive repo: its dirtree and dirmeta objects
 * (SHA-256 checked as they arrive) and every `.filez` content object it names, once each, are
 * staged in an archive repo under the local repo's `tmp/` (`pull-ostree-<commit>`, kept across
 * a failed run so a re-run fetches only what is missing), then converted exactly as
 * `cfskit commit --from-ostree-commit` converts a local commit: commitImage with checkoutTree as
 * the loader (which checks each content object against its checksum before its bytes enter the
 * cfs store) → a stub commit carrying the ostree commit's subject, body, timestamp and version
 * and `cfskit.ostree-commit`. Nothing of the staging repo enters `objects/` or `cfs/` unchecked.
 */
import { rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import type { ProgressSink } from '../composefs/sources/options.js';
import { commitImage } from '../cfs/commit-image.js';
import { mapLimit } from '../composefs/sources/dir.js';
import { checkoutTree } from '../ostree/checkout-tree.js';
import { decodeDirTree, type Commit } from '../ostree/formats.js';
import { lookup } from '../formats/gvariant.js';
import { MAX_METADATA_SIZE, objectPath, readMetadata, sha256Hex, writeMetadata, type MetadataType } from '../ostree/objects.js';
import { writeFileAtomic } from '../io/atomic.js';
import { initRepo, type Repo } from '../ostree/repo.js';
import type { HttpClient } from './http.js';

/** Metadata key of a stub commit converted from a pulled ostree commit: that commit's checksum. */
export const OSTREE_COMMIT_KEY = 'cfskit.ostree-commit';
/** Largest content object staged (in memory while it arrives). */
const MAX_CONTENT_SIZE = 1 << 30;

export interface OstreeConversion {
  /** The stub commit written (on no branch; the caller moves the ref). */
  stub: string;
  /** Content objects fetched. */
  fetched: number;
}

/** The pulled ostree commit a stub commit was converted from, if it was. */
export function convertedFrom(commit: Commit): string | undefined {
  const v = lookup(commit.metadata, OSTREE_COMMIT_KEY);
  return v?.type === 's' ? (v.value as string) : undefined;
}

export async function pullOstreeCommit(
  repo: Repo, client: HttpClient, checksum: string, commitBytes: Uint8Array, commit: Commit,
  o: { parent: string | null; concurrency: number; progress?: ProgressSink },
): Promise<OstreeConversion> {
  const stagingPath = join(repo.tmpDir, `pull-ostree-${checksum}`);
  const staging = initRepo(stagingPath, 'archive');
  writeMetadata(staging, 'commit', commitBytes);
  const files = new Set<string>();
  const fetchMeta = async (type: MetadataType, cs: string): Promise<Uint8Array> => {
    const rel = `objects/${cs.slice(0, 2)}/${cs.slice(2)}.${type}`;
    const bytes = (await client.getBytes(rel, MAX_METADATA_SIZE))!;
    if (sha256Hex(bytes) !== cs) throw new CfsError(`${type} content has SHA-256 ${sha256Hex(bytes)}, expected ${cs}`, { file: client.urlOf(rel), code: 'ECHECKSUM' });
    writeMetadata(staging, type, bytes);
    return bytes;
  };
  // the tree: one level of dirtrees at a time, each level's objects fetched concurrently
  const metas = new Set<string>([commit.rootMeta]);
  const seenTrees = new Set<string>();
  for (let level = [commit.rootTree]; level.length > 0;) {
    const next: string[] = [];
    await mapLimit(level, o.concurrency, async (tree) => {
      const t = decodeDirTree(existsSync(objectPath(staging, tree, 'dirtree')) ? readMetadata(staging, 'dirtree', tree, true) : await fetchMeta('dirtree', tree), tree);
      for (const f of t.files) files.add(f.checksum);
      for (const d of t.dirs) {
        metas.add(d.meta);
        if (!seenTrees.has(d.tree)) {
          seenTrees.add(d.tree);
          next.push(d.tree);
        }
      }
    });
    level = next;
  }
  await mapLimit([...metas], o.concurrency, async (m) => {
    if (!existsSync(objectPath(staging, m, 'dirmeta'))) await fetchMeta('dirmeta', m);
  });
  const missing = [...files].filter((f) => !existsSync(objectPath(staging, f, 'filez')));
  let fetched = 0;
  await mapLimit(missing, o.concurrency, async (f) => {
    const rel = `objects/${f.slice(0, 2)}/${f.slice(2)}.filez`;
    const bytes = (await client.getBytes(rel, MAX_CONTENT_SIZE))!;
    writeFileAtomic(objectPath(staging, f, 'filez'), bytes, { tmpDir: staging.tmpDir, noReplace: true });
    fetched++;
    o.progress?.advance(1, bytes.length);
  });
  const version = lookup(commit.metadata, 'version');
  // the caller (pull) holds the writer lock
  const { checksum: stub } = await commitImage(repo, { load: async (store) => (await checkoutTree(staging, checksum, { store })).root }, {
    parent: o.parent,
    subject: commit.subject,
    body: commit.body,
    timestamp: commit.timestamp,
    version: version?.type === 's' ? (version.value as string) : undefined,
    metadata: [[OSTREE_COMMIT_KEY, { type: 's', value: checksum }]],
    locked: true,
  });
  rmSync(stagingPath, { recursive: true, force: true });
  return { stub, fetched };
}

