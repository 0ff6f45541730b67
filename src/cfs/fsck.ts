/**
 * Consistency check of stub commits and the `cfs/` store (issue 5 item 7): everything reach.ts
 * cannot follow from a root (a missing or corrupt tip commit, image or backing object), every
 * object hashes (fs-verity SHA-256) to its name and is a regular file, every stored image parses
 * and names well-formed backing paths of present objects, every commit object is intact (SHA-256
 * name, normal form) and every stub commit's image exists. Missing backing objects are summed up
 * per image (a count and the first few), not listed one per line.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { decodeCommit } from '../ostree/formats.js';
import { listObjects, objectPath, readMetadata } from '../ostree/objects.js';
import type { Repo } from '../ostree/repo.js';
import { checkObject } from './object-file.js';
import { backingObjects, listCfsObjects, listImages, reachable, stubImage, summarize, type ReachProblem } from './reach.js';
import { cfsPaths } from './store.js';
import { reclaimRepoTemps } from './temps.js';

export type FsckProblem = ReachProblem;

export async function fsckRepo(repo: Repo): Promise<FsckProblem[]> {
  reclaimRepoTemps(repo); // temp files of killed processes are garbage, not problems
  const p = cfsPaths(repo);
  const reach = await reachable(repo);
  const problems: FsckProblem[] = [...reach.problems];
  const reported = new Set(problems.map((q) => q.path));
  const objectFile = (hex: string) => join(p.objects, hex.slice(0, 2), hex.slice(2));
  const present = new Set<string>();
  for (const hex of await listCfsObjects(repo)) {
    present.add(hex);
    try {
      checkObject(p.objects, hex, { digest: true });
    } catch (e) {
      problems.push({ path: objectFile(hex), reason: e instanceof CfsError ? e.reason : String(e) });
    }
  }
  const images = new Set(await listImages(repo));
  for (const hex of images) {
    if (reach.images.has(hex)) continue; // reach checked it
    if (!present.has(hex)) {
      problems.push({ path: join(p.images, hex), reason: 'image object missing' });
      continue;
    }
    let backing: Set<string>;
    try {
      backing = backingObjects(await fsp.readFile(objectFile(hex)), objectFile(hex));
    } catch (e) {
      problems.push({ path: join(p.images, hex), reason: e instanceof CfsError ? `unreadable image: ${e.message}` : String(e) });
      continue;
    }
    const missing = [...backing].filter((obj) => !present.has(obj));
    if (missing.length > 0) problems.push({ path: join(p.images, hex), reason: `${summarize(missing, 'backing object')} missing` });
  }
  for (const { checksum } of listObjects(repo, 'commit')) {
    const path = objectPath(repo, checksum, 'commit');
    if (reported.has(path)) continue;
    try {
      const image = stubImage(decodeCommit(readMetadata(repo, 'commit', checksum, true), path));
      if (image && !images.has(image)) problems.push({ path, reason: `image ${image} of stub commit missing` });
    } catch (e) {
      problems.push({ path, reason: `corrupt commit: ${e instanceof CfsError ? e.reason : String(e)}` });
    }
  }
  return problems;
}
