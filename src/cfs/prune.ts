/**
 * Garbage collection of stub commits and the `cfs/` store (issue 5 item 6), under the writer lock:
 * every stub commit (one with `cfskit.image`), image link and object not reachable from the roots
 * (reach.ts) is deleted. ostree's own commits and objects are left to `ostree prune`. When anything
 * on a path from a root cannot be read, nothing is deleted: prune refuses, naming it.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { decodeCommit } from '../ostree/formats.js';
import { withRepoLock } from '../ostree/lock.js';
import { listObjects, objectPath, readMetadata } from '../ostree/objects.js';
import type { Repo } from '../ostree/repo.js';
import { listCfsObjects, listImages, reachable, stubImage } from './reach.js';
import { cfsPaths } from './store.js';
import { reclaimRepoTemps } from './temps.js';

export interface PruneOptions {
  /** Parents kept behind each ref'd commit (-1, the default: all history). */
  depth?: number;
  /** Count what would go without deleting anything. */
  dryRun?: boolean;
  /** Collectors of what else the repo holds for its commits (the registry's blob cache), run last. */
  hooks?: PruneHook[];
}

/**
 * A collector run under the writer lock after the store's GC: deletes what none of the kept
 * commits needs (nothing with `dryRun`) and returns the bytes that takes.
 */
export type PruneHook = (repo: Repo, keptCommits: ReadonlySet<string>, dryRun: boolean) => Promise<number>;

export interface PruneResult {
  commits: number;
  images: number;
  objects: number;
  /** Temp files of killed processes reclaimed (src/cfs/temps.ts). */
  temps?: number;
  /** Bytes of the deleted files. */
  bytes: number;
}

export async function prune(repo: Repo, opts: PruneOptions = {}): Promise<PruneResult> {
  return withRepoLock(repo, async () => {
    const keep = await reachable(repo, opts.depth ?? -1);
    if (keep.problems.length > 0) {
      const [first] = keep.problems;
      const more = keep.problems.length > 1 ? ` (and ${keep.problems.length - 1} more problem(s); see cfskit fsck)` : '';
      throw new CfsError(`refusing to prune: ${first.reason}${more}`, { file: first.path, code: 'EPRUNE' });
    }
    const result: PruneResult = { commits: 0, images: 0, objects: 0, bytes: 0 };
    const remove = async (path: string): Promise<boolean> => {
      const st = await fsp.lstat(path).catch(() => null);
      if (!st) return false;
      if (!opts.dryRun) await fsp.rm(path, { force: true });
      result.bytes += st.isSymbolicLink() ? 0 : st.size;
      return true;
    };
    for (const { checksum } of listObjects(repo, 'commit')) {
      if (keep.commits.has(checksum)) continue;
      let isStub: boolean;
      try {
        isStub = stubImage(decodeCommit(readMetadata(repo, 'commit', checksum))) !== undefined;
      } catch {
        continue; // unparsable: not ours to judge (fsck reports it)
      }
      if (!isStub) continue;
      await remove(objectPath(repo, checksum, 'commit'));
      await remove(objectPath(repo, checksum, 'commitmeta'));
      await remove(join(repo.path, 'state', `${checksum}.commitpartial`));
      result.commits++;
    }
    const p = cfsPaths(repo);
    for (const hex of await listImages(repo)) {
      if (!keep.images.has(hex) && (await remove(join(p.images, hex)))) result.images++;
    }
    for (const hex of await listCfsObjects(repo)) {
      if (!keep.objects.has(hex) && (await remove(join(p.objects, hex.slice(0, 2), hex.slice(2))))) result.objects++;
    }
    for (const hook of opts.hooks ?? []) result.bytes += await hook(repo, keep.commits, opts.dryRun === true);
    const temps = reclaimRepoTemps(repo, { dryRun: opts.dryRun });
    result.temps = temps.paths.length;
    result.bytes += temps.bytes;
    return result;
  });
}
