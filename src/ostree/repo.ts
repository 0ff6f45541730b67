/**
 * An ostree repository on disk (spec ostree.md §2.1, §2.2): create it like `ostree init`, open one
 * that real ostree (or we) made.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Fs, nodeFs } from '../io/fs.js';
import { KeyFile } from '../formats/keyfile.js';

/** Storage modes for content objects (ostree.md §2.2 `core.mode`, §2.8). */
export type RepoMode = 'bare' | 'bare-user' | 'bare-user-only' | 'archive' | 'bare-split-xattrs';
/** Modes `cfskit init` (like `ostree init`) creates. */
export const INIT_MODES: readonly RepoMode[] = ['bare', 'bare-user', 'bare-user-only', 'archive'];

export interface Repo {
  /** Absolute path of the repository directory. */
  path: string;
  mode: RepoMode;
  config: KeyFile;
  /** Scratch directory on the repository's filesystem (temp files before rename). */
  tmpDir: string;
  /** Where the repository's writes go (default node:fs; crash tests inject failures). */
  fs?: Fs;
}

/** The repository's Fs seam. */
export const repoFs = (repo: Pick<Repo, 'fs'>): Fs => repo.fs ?? nodeFs;

/** Directories `ostree init` creates, in its order; `objects/` last since it marks a repo (ostree.md §2.1). */
const LAYOUT = ['tmp', 'tmp/cache', 'extensions', 'state', 'refs', 'refs/heads', 'refs/mirrors', 'refs/remotes', 'objects'];

/** Creates the repository (a no-op on an existing one, like `ostree init`) and opens it. */
export function initRepo(path: string, mode: RepoMode = 'bare'): Repo {
  if (!INIT_MODES.includes(mode)) throw new CfsError(`unsupported repo mode '${mode}'`, { field: 'mode', code: 'EREPO' });
  const root = resolve(path);
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(root, 'objects'))) {
    const config = join(root, 'config');
    if (!existsSync(config)) {
      // `ostree init --mode=archive` writes the legacy name archive-z2 (ostree.md §2.2).
      const kf = new KeyFile();
      kf.setValue('core', 'repo_version', '1');
      kf.setValue('core', 'mode', mode === 'archive' ? 'archive-z2' : mode);
      writeFileAtomic(config, kf.toString());
    }
    for (const dir of LAYOUT) mkdirSync(join(root, dir), { recursive: true, mode: 0o775 });
  }
  return openRepo(root);
}

/** Opens a repository: needs `objects/` and a `config` with repo_version=1 (ostree.md §2.1, §2.2). */
export function openRepo(path: string): Repo {
  const root = resolve(path);
  const configPath = join(root, 'config');
  if (!isDir(join(root, 'objects')) || !existsSync(configPath))
    throw new CfsError('not an ostree repository (no objects/ or config)', { file: root, code: 'EREPO' });
  const config = KeyFile.parse(readFileSync(configPath), configPath);
  const version = config.getValue('core', 'repo_version');
  if (version !== '1') throw new CfsError(`invalid repository version '${version ?? ''}'`, { file: configPath, field: 'core.repo_version', code: 'EREPO' });
  if (config.getBoolean('core', 'archive'))
    throw new CfsError('the ancient core.archive format is not supported', { file: configPath, field: 'core.archive', code: 'EREPO' });
  const mode = parseMode(config.getValue('core', 'mode') ?? 'bare', configPath);
  const tmpDir = join(root, 'tmp');
  if (!isDir(tmpDir) && isWritable(join(root, 'objects'))) mkdirSync(tmpDir, { mode: 0o775 });
  return { path: root, mode, config, tmpDir };
}

function parseMode(value: string, file: string): RepoMode {
  if (value === 'archive-z2' || value === 'archive') return 'archive';
  if ((['bare', 'bare-user', 'bare-user-only', 'bare-split-xattrs'] as string[]).includes(value)) return value as RepoMode;
  throw new CfsError(`unknown repo mode '${value}'`, { file, field: 'core.mode', code: 'EREPO' });
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isWritable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
