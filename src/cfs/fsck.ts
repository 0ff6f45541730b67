/**
 * Consistency check of stub commits and the `cfs/` store (issue 5 item 7): every object hashes
 * (fs-verity SHA-256) to its name, every image link reaches its object and every backing object
 * the image names is present, every image ref reaches an image, every commit object is intact
 * (SHA-256 name, normal form) and every stub commit's image exists.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { digestFile } from '../fsverity/index.js';
import { decodeCommit } from '../ostree/formats.js';
import { listObjects, objectPath, readMetadata } from '../ostree/objects.js';
import type { Repo } from '../ostree/repo.js';
import { backingObjects, imageRefs, listCfsObjects, listImages, stubImage } from './reach.js';
import { cfsPaths } from './store.js';
import { reclaimRepoTemps } from './temps.js';

export interface FsckProblem {
  /** The file at fault. */
  path: string;
  reason: string;
}

export async function fsckRepo(repo: Repo): Promise<FsckProblem[]> {
  const problems: FsckProblem[] = [];
  reclaimRepoTemps(repo); // temp files of killed processes are garbage, not problems
  const p = cfsPaths(repo);
  const objectFile = (hex: string) => join(p.objects, hex.slice(0, 2), hex.slice(2));
  const present = new Set<string>();
  for (const hex of await listCfsObjects(repo)) {
    present.add(hex);
    const actual = await digestFile(objectFile(hex)).then((d) => d.hex, (e: unknown) => `unreadable (${(e as Error).message})`);
    if (actual !== hex) problems.push({ path: objectFile(hex), reason: `content does not match its name: fs-verity digest ${actual}` });
  }
  const images = new Set(await listImages(repo));
  for (const hex of images) {
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
    for (const obj of backing) if (!present.has(obj)) problems.push({ path: objectFile(obj), reason: `backing object of image ${hex} missing` });
  }
  for (const [name, hex] of await imageRefs(repo)) {
    if (!hex || !images.has(hex)) problems.push({ path: join(p.imageRefs, name), reason: 'dangling image ref' });
  }
  for (const { checksum } of listObjects(repo, 'commit')) {
    const path = objectPath(repo, checksum, 'commit');
    try {
      const image = stubImage(decodeCommit(readMetadata(repo, 'commit', checksum, true), path));
      if (image && !images.has(image)) problems.push({ path, reason: `image ${image} of stub commit missing` });
    } catch (e) {
      problems.push({ path, reason: `corrupt commit: ${e instanceof CfsError ? e.reason : String(e)}` });
    }
  }
  return problems;
}
