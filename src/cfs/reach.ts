/**
 * What in `cfs/` is in use (issue 5 items 6, 7): the roots are the commits refs point to (and
 * their parents, to a depth), the commits of the sysroot's deployments when the repo is
 * `SYSROOT/ostree/repo`, and the named images `cfs/images/refs/**`. A stub commit names its image
 * by `cfskit.image`; an image needs its own object and every backing object it refers to.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readImage } from '../composefs/erofs/reader.js';
import type { Node } from '../composefs/tree.js';
import { META } from '../ostree/commit.js';
import { decodeCommit, type Commit } from '../ostree/formats.js';
import { lookup } from '../ostree/gvariant.js';
import { readMetadata } from '../ostree/objects.js';
import { listRefs } from '../ostree/refs.js';
import type { Repo } from '../ostree/repo.js';
import { cfsPaths } from './store.js';

const HEX = /^[0-9a-f]{64}$/;
const DEPLOY_DIR = /^([0-9a-f]{64})\.\d+$/;

/** The image a stub commit names (hex fs-verity digest), if any. */
export function stubImage(commit: Commit): string | undefined {
  const v = lookup(commit.metadata, META.image);
  return v?.type === 's' && HEX.test(v.value as string) ? (v.value as string) : undefined;
}

/** Commits deployed in the sysroot around this repo (`ostree/deploy/*\/deploy/<commit>.<serial>`). */
export async function deploymentCommits(repo: Repo): Promise<string[]> {
  const ostreeDir = dirname(repo.path);
  if (basename(repo.path) !== 'repo' || basename(ostreeDir) !== 'ostree') return [];
  const out: string[] = [];
  for (const stateroot of await readdirSafe(join(ostreeDir, 'deploy'))) {
    for (const name of await readdirSafe(join(ostreeDir, 'deploy', stateroot, 'deploy'))) {
      const m = DEPLOY_DIR.exec(name);
      if (m) out.push(m[1]);
    }
  }
  return out;
}

/** Image refs: ref name → the image digest its symlink chain reaches (undefined when dangling). */
export async function imageRefs(repo: Repo): Promise<Map<string, string | undefined>> {
  const p = cfsPaths(repo);
  const out = new Map<string, string | undefined>();
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 64) return;
    for (const name of (await readdirSafe(dir)).sort()) {
      const path = join(dir, name);
      const st = await fsp.lstat(path);
      if (st.isDirectory()) await walk(path, `${prefix}${name}/`, depth + 1);
      else if (st.isSymbolicLink()) {
        const target = resolve(dir, await fsp.readlink(path));
        const hex = basename(target);
        const ok = dirname(target) === p.images && HEX.test(hex) && (await fsp.stat(path).catch(() => null)) !== null;
        out.set(prefix + name, ok ? hex : undefined);
      }
    }
  };
  await walk(p.imageRefs, '', 0);
  return out;
}

/** Digests (hex) of the backing files an image refers to. */
export function backingObjects(image: Uint8Array, file: string): Set<string> {
  const out = new Set<string>();
  const stack: Node[] = [readImage(image, { file })];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) stack.push(...n.children);
    if (n.digest) out.add(Buffer.from(n.digest).toString('hex'));
  }
  return out;
}

export interface Reachable {
  commits: Set<string>;
  images: Set<string>;
  objects: Set<string>;
}

/**
 * Everything reachable from the roots. `depth` parents are kept behind each root commit
 * (-1: the whole history). A missing image or object does not stop the walk (fsck reports it).
 */
export async function reachable(repo: Repo, depth = -1): Promise<Reachable> {
  const r: Reachable = { commits: new Set(), images: new Set(), objects: new Set() };
  const roots = [...listRefs(repo).values(), ...(await deploymentCommits(repo))];
  for (const root of roots) {
    let checksum: string | null = root;
    for (let level = 0; checksum && (depth < 0 || level <= depth) && !r.commits.has(checksum); level++) {
      r.commits.add(checksum);
      let commit: Commit;
      try {
        commit = decodeCommit(readMetadata(repo, 'commit', checksum));
      } catch {
        break;
      }
      const image = stubImage(commit);
      if (image) r.images.add(image);
      checksum = commit.parent;
    }
  }
  for (const hex of (await imageRefs(repo)).values()) if (hex) r.images.add(hex);
  const p = cfsPaths(repo);
  for (const hex of r.images) {
    r.objects.add(hex);
    const path = join(p.objects, hex.slice(0, 2), hex.slice(2));
    const bytes = await fsp.readFile(path).catch(() => null);
    if (!bytes) continue;
    try {
      for (const obj of backingObjects(bytes, path)) r.objects.add(obj);
    } catch {
      /* an unreadable image keeps only itself; fsck reports it */
    }
  }
  return r;
}

/** Every object in `cfs/objects/XX/` with a 62-hex name, as full hex digests. */
export async function listCfsObjects(repo: Repo): Promise<string[]> {
  const objects = cfsPaths(repo).objects;
  const out: string[] = [];
  for (const xx of (await readdirSafe(objects)).sort()) {
    if (!/^[0-9a-f]{2}$/.test(xx)) continue;
    for (const rest of (await readdirSafe(join(objects, xx))).sort()) if (/^[0-9a-f]{62}$/.test(rest)) out.push(xx + rest);
  }
  return out;
}

/** Names in `cfs/images/` that are image digests. */
export async function listImages(repo: Repo): Promise<string[]> {
  return (await readdirSafe(cfsPaths(repo).images)).filter((n) => HEX.test(n)).sort();
}

export async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}
