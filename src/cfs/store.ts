/**
 * The composefs store inside an ostree repository, `REPO/cfs/`, laid out like a composefs-rs
 * repository (issue 5 item 3; spec ostree.md §6.2) so its tools can read it:
 *
 *   cfs/meta.json               {"version":1,"algorithm":"fsverity-sha256-12","features":{…}}
 *   cfs/objects/XX/REST         backing files and images, named by their fs-verity SHA-256 digest
 *   cfs/images/<hex>            → ../objects/XX/REST   (an image we wrote; only these are mounted)
 *   cfs/images/refs/<name>      → ../../<hex>          (named images; GC roots)
 *
 * ostree never looks into `cfs/` (ostree.md §6.2): its fsck and prune ignore it.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ObjectStore, objectPath } from '../store/objects.js';
import { ensureDir, symlinkReplace } from '../io/fs.js';
import { isValidRefName } from '../ostree/refs.js';
import { type Repo, repoFs } from '../ostree/repo.js';

/** composefs-rs `meta.json` (repository_format.rs): format version and digest algorithm. */
export const CFS_META = {
  version: 1,
  algorithm: 'fsverity-sha256-12',
  features: { compatible: [], 'read-only-compatible': [], incompatible: [] },
} as const;

const HEX = /^[0-9a-f]{64}$/;

export interface CfsPaths {
  root: string;
  meta: string;
  objects: string;
  images: string;
  imageRefs: string;
}

export function cfsPaths(repo: Repo): CfsPaths {
  const root = join(repo.path, 'cfs');
  return { root, meta: join(root, 'meta.json'), objects: join(root, 'objects'), images: join(root, 'images'), imageRefs: join(root, 'images', 'refs') };
}

/** Creates `cfs/` (meta.json, objects/, images/refs/) if needed and checks an existing meta.json. */
export async function openCfs(repo: Repo): Promise<CfsPaths> {
  const p = cfsPaths(repo);
  let text: string | undefined;
  try {
    text = await fsp.readFile(p.meta, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    ensureDir(repoFs(repo), p.imageRefs, 0o777);
    ensureDir(repoFs(repo), p.objects, 0o777);
    writeFileAtomic(p.meta, `${JSON.stringify(CFS_META)}\n`, { tmpDir: repo.tmpDir, fs: repoFs(repo) });
  } else {
    let meta: { version?: unknown; algorithm?: unknown; features?: { incompatible?: unknown } };
    try {
      meta = JSON.parse(text);
    } catch {
      throw new CfsError('not valid JSON', { file: p.meta, code: 'ECFSSTORE' });
    }
    if (meta.version !== CFS_META.version) throw new CfsError(`unsupported store version ${String(meta.version)}`, { file: p.meta, field: 'version', code: 'ECFSSTORE' });
    if (meta.algorithm !== CFS_META.algorithm) throw new CfsError(`unsupported algorithm ${String(meta.algorithm)}`, { file: p.meta, field: 'algorithm', code: 'ECFSSTORE' });
    const incompatible = meta.features?.incompatible;
    if (Array.isArray(incompatible) && incompatible.length > 0)
      throw new CfsError(`unknown incompatible features: ${incompatible.join(', ')}`, { file: p.meta, field: 'features', code: 'ECFSSTORE' });
  }
  return p;
}

/**
 * Stores an image as an object, links `images/<hex>` to it and, with `name`, `images/refs/<name>`
 * to that. Returns the image's fs-verity digest (hex).
 */
export async function storeImage(repo: Repo, image: Uint8Array, name?: string): Promise<string> {
  const p = await openCfs(repo);
  const { digest } = await new ObjectStore(p.objects, { fs: repoFs(repo) }).addStream(once(image), BigInt(image.length), { file: 'image', code: 'ECFSSTORE' });
  const hex = Buffer.from(digest).toString('hex');
  const link = join(p.images, hex);
  symlinkReplace(repoFs(repo), relative(p.images, join(p.objects, objectPath(hex))), link);
  if (name !== undefined) await refImage(repo, name, hex);
  return hex;
}

/** Points `images/refs/<name>` at `images/<hex>` (relative symlink, replaced atomically). */
export async function refImage(repo: Repo, name: string, hex: string): Promise<void> {
  if (!isValidRefName(name)) throw new CfsError(`invalid image ref name '${name}'`, { field: 'name', code: 'ECFSSTORE' });
  if (!HEX.test(hex)) throw new CfsError(`invalid image digest '${hex}'`, { field: 'digest', code: 'ECFSSTORE' });
  const p = cfsPaths(repo);
  const ref = join(p.imageRefs, name);
  ensureDir(repoFs(repo), dirname(ref), 0o777);
  symlinkReplace(repoFs(repo), relative(dirname(ref), join(p.images, hex)), ref);
}

/** Absolute path of a stored image (through `images/<hex>`), or undefined when it is absent. */
export async function imagePath(repo: Repo, hex: string): Promise<string | undefined> {
  if (!HEX.test(hex)) return undefined;
  const path = join(cfsPaths(repo).images, hex);
  try {
    await fsp.stat(path);
    return path;
  } catch {
    return undefined;
  }
}

/** ostree's mark of a commit whose objects are not all present: `state/<checksum>.commitpartial`. */
const partialMark = (repo: Repo, checksum: string) => join(repo.path, 'state', `${checksum}.commitpartial`);

/** Marks a commit partial (`cfskit commit --partial`): its image's missing backing objects are expected. */
export async function markPartial(repo: Repo, checksum: string): Promise<void> {
  writeFileAtomic(partialMark(repo, checksum), '', { tmpDir: repo.tmpDir, fs: repoFs(repo) });
}

export async function isPartial(repo: Repo, checksum: string): Promise<boolean> {
  return (await fsp.lstat(partialMark(repo, checksum)).catch(() => null)) !== null;
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}
