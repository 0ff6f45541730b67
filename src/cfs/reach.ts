/**
 * What in `cfs/` is in use (issue 5 items 6, 7): the roots are the commits refs point to (and
 * their parents, to a depth), the commits of the sysroot's deployments when the repo is
 * `SYSROOT/ostree/repo`, and the named images `cfs/images/refs/**`. A stub commit names its image
 * by `cfskit.image`; an image needs its own object and every backing object it refers to.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readImage } from '../composefs/erofs/reader.js';
import { S_IFMT, S_IFREG, type Node } from '../tree/tree.js';
import { CfsError } from '../errors.js';
import { META } from '../ostree/commit.js';
import { decodeCommit, type Commit } from '../ostree/formats.js';
import { lookup } from '../formats/gvariant.js';
import { objectPath, readMetadata } from '../ostree/objects.js';
import { listRefs } from '../ostree/refs.js';
import type { Repo } from '../ostree/repo.js';
import { backingObject } from './backing-path.js';
import { cfsPaths, isPartial } from './store.js';

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

/**
 * Digests (hex) of the backing files an image refers to, each path checked by backing-path.ts:
 * a hostile or malformed path makes the whole image unreadable.
 */
export function backingObjects(image: Uint8Array, file: string): Set<string> {
  const out = new Set<string>();
  const stack: Node[] = [readImage(image, { file })];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) stack.push(...n.children);
    if (n.linkTo || (n.mode & S_IFMT) !== S_IFREG || n.content || !n.payload) continue;
    out.add(backingObject(n.payload, n.digest, { file, path: n.path() }));
  }
  return out;
}

/** Something on a path from a root that cannot be read: what (`path`) and why. */
export interface ReachProblem {
  path: string;
  reason: string;
}

export interface Reachable {
  commits: Set<string>;
  images: Set<string>;
  objects: Set<string>;
  /** What could not be followed; prune refuses while there is any (the walk fails closed). */
  problems: ReachProblem[];
}

/**
 * Everything reachable from the roots (refs, including the deployment refs `ostree/B/S/i`, the
 * sysroot's deployments and the image refs). `depth` parents are kept behind each root commit
 * (-1: the whole history). A root commit, a stub commit's image or an image's backing object that
 * is missing, truncated or unreadable is a problem; so is a parent commit that is present but
 * unreadable. A missing parent ends the history, as in ostree (a pull with --depth leaves none).
 * Backing objects may be missing only behind commits marked partial (`cfskit commit --partial`).
 */
export async function reachable(repo: Repo, depth = -1): Promise<Reachable> {
  const r: Reachable = { commits: new Set(), images: new Set(), objects: new Set(), problems: [] };
  const roots: [string, string][] = [...listRefs(repo)].map(([name, c]) => [c, `ref ${name}`]);
  for (const c of await deploymentCommits(repo)) roots.push([c, 'a deployment']);
  const imageFrom = new Map<string, string>();
  /** Images some complete commit or an image ref names: all their backing objects must be present. */
  const complete = new Set<string>();
  for (const [root, from] of roots) {
    let checksum: string | null = root;
    for (let level = 0; checksum && (depth < 0 || level <= depth) && !r.commits.has(checksum); level++) {
      const path = objectPath(repo, checksum, 'commit');
      let commit: Commit;
      try {
        commit = decodeCommit(readMetadata(repo, 'commit', checksum, true), path);
      } catch (e) {
        const missing = e instanceof CfsError && e.code === 'ENOENT';
        if (level > 0 && missing) break;
        r.problems.push({ path, reason: `${missing ? 'missing' : 'corrupt'} commit ${checksum} of ${from}: ${reasonOf(e)}` });
        break;
      }
      r.commits.add(checksum);
      const image = stubImage(commit);
      if (image && !r.images.has(image)) {
        r.images.add(image);
        imageFrom.set(image, `commit ${checksum}`);
      }
      if (image && !(await isPartial(repo, checksum))) complete.add(image);
      checksum = commit.parent;
    }
  }
  for (const [name, hex] of await imageRefs(repo)) {
    const p = join(cfsPaths(repo).imageRefs, name);
    if (!hex) r.problems.push({ path: p, reason: 'dangling image ref' });
    else {
      complete.add(hex);
      if (!r.images.has(hex)) {
        r.images.add(hex);
        imageFrom.set(hex, `image ref ${name}`);
      }
    }
  }
  const present = new Set(await listCfsObjects(repo));
  const objects = cfsPaths(repo).objects;
  for (const hex of r.images) {
    r.objects.add(hex);
    const path = join(objects, hex.slice(0, 2), hex.slice(2));
    if (!present.has(hex)) {
      r.problems.push({ path, reason: `missing image ${hex} of ${imageFrom.get(hex)}` });
      continue;
    }
    let backing: Set<string>;
    try {
      backing = backingObjects(await fsp.readFile(path), path);
    } catch (e) {
      r.problems.push({ path, reason: `unreadable image ${hex} of ${imageFrom.get(hex)}: ${reasonOf(e)}` });
      continue;
    }
    const missing = [...backing].filter((obj) => !present.has(obj));
    for (const obj of backing) r.objects.add(obj);
    if (missing.length > 0 && complete.has(hex)) r.problems.push({ path, reason: `image ${hex} of ${imageFrom.get(hex)}: ${summarize(missing, 'backing object')} missing` });
  }
  return r;
}

/** "N things: a, b, c …" with at most five names. */
export function summarize(names: string[], thing: string): string {
  const shown = names.slice(0, 5).join(', ');
  return `${names.length} ${thing}${names.length === 1 ? '' : 's'} (${shown}${names.length > 5 ? ', …' : ''})`;
}

const reasonOf = (e: unknown): string => (e instanceof CfsError ? e.reason : (e as Error).message);

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
