/**
 * Where a repository's temp files (src/io/temp-name.ts) can be left by a killed process: the repo
 * root (the writer lock's holder file), `tmp/` (metadata writes), `cfs/objects/` and each
 * `cfs/objects/XX/` (objects). prune and fsck reclaim those whose process is gone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../ostree/repo.js';
import { type Reclaimed, reclaimTemps } from '../io/temp-name.js';
import { cfsPaths } from './store.js';

const FANOUT = /^[0-9a-f]{2}$/;

export function repoTempDirs(repo: Repo): string[] {
  const objects = cfsPaths(repo).objects;
  let fanout: string[] = [];
  try {
    fanout = readdirSync(objects).filter((n) => FANOUT.test(n)).map((n) => join(objects, n));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return [repo.path, repo.tmpDir, objects, ...fanout];
}

/** Removes (or with dryRun counts) the repository's temp files of dead processes. */
export function reclaimRepoTemps(repo: Repo, opts: { dryRun?: boolean } = {}): Reclaimed {
  return reclaimTemps(repoTempDirs(repo), opts);
}
