/**
 * Refs (spec ostree.md §2.10): `refs/heads/NAME` and `refs/remotes/REMOTE/NAME`, each holding a
 * commit checksum and a newline, replaced atomically. writeRef is the one ref writer (branches,
 * pulled refs, the sysroot's deployment refs).
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkChecksum, isChecksum } from './objects.js';
import { type Repo, repoFs } from './repo.js';

/** ostree_validate_rev: `/`-separated components of word characters and `-._`, not starting with `-._`. */
const REF_NAME = /^(?:[A-Za-z0-9_][-._A-Za-z0-9_]*\/)*[A-Za-z0-9_][-._A-Za-z0-9_]*$/;
const REF_COMPONENT = /^[A-Za-z0-9_][-._A-Za-z0-9_]*$/;

export function isValidRefName(name: string): boolean {
  return REF_NAME.test(name);
}

/** Splits a refspec `[REMOTE:]NAME` and validates both parts. */
export function parseRefspec(refspec: string): { remote: string | null; name: string } {
  const colon = refspec.indexOf(':');
  const remote = colon >= 0 ? refspec.slice(0, colon) : null;
  const name = colon >= 0 ? refspec.slice(colon + 1) : refspec;
  if (!isValidRefName(name) || (remote !== null && !REF_COMPONENT.test(remote)))
    throw new CfsError(`invalid ref name '${refspec}'`, { field: 'ref', code: 'EREF' });
  return { remote, name };
}

/** What ref writes need of a repository: its path, its temp directory and its Fs seam. */
export type RefRepo = Pick<Repo, 'path' | 'tmpDir' | 'fs'>;

function refFile(repo: Pick<Repo, 'path'>, refspec: string): string {
  const { remote, name } = parseRefspec(refspec);
  return remote === null ? join(repo.path, 'refs', 'heads', name) : join(repo.path, 'refs', 'remotes', remote, name);
}

/** The checksum a ref points to, or undefined when the ref does not exist. */
export function readRef(repo: Repo, refspec: string): string | undefined {
  return readRefFile(refFile(repo, refspec));
}

function readRefFile(path: string): string | undefined {
  let text: string;
  try {
    if (!statSync(path).isFile()) return undefined;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
  const checksum = text.trimEnd();
  if (!isChecksum(checksum)) throw new CfsError(`ref does not hold a checksum`, { file: path, code: 'EREF' });
  return checksum;
}

/**
 * Points a ref at a commit (temp file in the repo's tmp/, so no leftover ever reads as a ref; fsync;
 * rename). A ref name that is itself a checksum is refused.
 */
export function writeRef(repo: RefRepo, refspec: string, checksum: string): void {
  checkChecksum(checksum);
  if (isChecksum(parseRefspec(refspec).name)) throw new CfsError(`a ref name cannot be a checksum: '${refspec}'`, { field: 'ref', code: 'EREF' });
  writeFileAtomic(refFile(repo, refspec), `${checksum}\n`, { tmpDir: repo.tmpDir, fs: repoFs(repo) });
}

/** Deletes a ref; returns false when it did not exist. */
export function deleteRef(repo: RefRepo, refspec: string): boolean {
  const path = refFile(repo, refspec);
  if (readRefFile(path) === undefined) return false;
  repoFs(repo).unlink(path);
  return true;
}

/**
 * All refs like ostree_repo_list_refs (ostree.md §2.10): local names, then `REMOTE:NAME`; symlinks
 * under heads are aliases and listed; entries whose name is not a valid ref component are ignored.
 * Returned sorted (ostree prints hash-table order, which nothing may rely on).
 */
export function listRefs(repo: Repo): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, prefix: string, depth: number) => {
    if (depth > 64) return;
    for (const name of readdirSafe(dir)) {
      if (!REF_COMPONENT.test(name)) continue;
      const path = join(dir, name);
      const st = statSafe(path);
      if (st?.isDirectory() && !lstatSync(path).isSymbolicLink()) walk(path, `${prefix}${name}/`, depth + 1);
      else if (st?.isFile()) {
        const checksum = readRefFile(path);
        if (checksum) out.set(prefix + name, checksum);
      }
    }
  };
  walk(join(repo.path, 'refs', 'heads'), '', 0);
  const remotes = join(repo.path, 'refs', 'remotes');
  for (const remote of readdirSafe(remotes)) {
    if (REF_COMPONENT.test(remote) && statSafe(join(remotes, remote))?.isDirectory()) walk(join(remotes, remote), `${remote}:`, 0);
  }
  return out;
}

/** Sorted entries; a missing directory has none. */
function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
