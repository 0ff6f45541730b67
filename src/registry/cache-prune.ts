/**
 * Garbage collection of the blob cache, a src/cfs/prune.ts PruneHook (run under the writer lock): the
 * blobs kept are the manifests recorded by kept stub commits (`ostree.manifest-digest`) and the
 * config and layers those manifests name; everything else, and all of `tmp/`, is deleted.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { decodeCommit } from '../ostree/formats.js';
import { readMetadata } from '../ostree/objects.js';
import type { PruneHook } from '../cfs/prune.js';
import { repoBlobCache } from './cache.js';
import { MANIFEST_MAX } from './client.js';
import { commitProvenance } from './provenance.js';
import { DIGEST } from './reference.js';

/** Deletes unneeded blobs (none with `dryRun`); returns the bytes they take. */
export const pruneBlobCache: PruneHook = async (repo, keptCommits, dryRun) => {
  const root = repoBlobCache(repo);
  const blobs = join(root, 'blobs');
  const keep = new Set<string>();
  for (const checksum of keptCommits) {
    let digest: string | undefined;
    try {
      digest = commitProvenance(decodeCommit(readMetadata(repo, 'commit', checksum)))?.manifestDigest;
    } catch {
      continue; // not ours to judge (fsck reports it)
    }
    if (digest === undefined || !DIGEST.test(digest)) continue;
    keep.add(digest);
    for (const d of await manifestBlobs(join(blobs, ...digest.split(':')))) keep.add(d);
  }
  let bytes = 0;
  for (const alg of await fsp.readdir(blobs).catch(() => [] as string[])) {
    for (const hex of await fsp.readdir(join(blobs, alg)).catch(() => [] as string[])) {
      if (keep.has(`${alg}:${hex}`)) continue;
      const path = join(blobs, alg, hex);
      bytes += (await fsp.stat(path).catch(() => null))?.size ?? 0;
      if (!dryRun) await fsp.rm(path, { force: true });
    }
  }
  if (!dryRun) await fsp.rm(join(root, 'tmp'), { recursive: true, force: true });
  return bytes;
};

/** The config and layer digests a cached manifest names (none when it is absent or unreadable). */
async function manifestBlobs(file: string): Promise<string[]> {
  const st = await fsp.stat(file).catch(() => null);
  if (!st || st.size > MANIFEST_MAX) return [];
  try {
    const doc = JSON.parse(await fsp.readFile(file, 'utf8')) as { config?: { digest?: unknown }; layers?: { digest?: unknown }[] };
    return [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])].map((d) => d?.digest).filter((d): d is string => typeof d === 'string' && DIGEST.test(d));
  } catch {
    return [];
  }
}
