/**
 * `cfskit admin cleanup` = `ostree_sysroot_cleanup()` (spec ostree.md §7) for composefs
 * sysroots: everything the current boot configuration does not reference is deleted, in an order
 * where a crash at any point leaves the configuration bootable and a re-run finishes the job:
 *
 *  1. the other bootversions' `boot/loader.*` and `ostree/boot.*.*` (never the live pair);
 *  2. deployment directories (and `.origin` files) not in the list;
 *  3. `boot/ostree/<stateroot>-<bootcsum>/` dirs whose bootcsum no deployment uses, and
 *     initramfs overlays no entry names;
 *  4. `ostree/deploy/S/composefs/<digest>.cfs` images no deployment of S uses;
 *  5. the deployment refs `ostree/<B>/<S>/<i>` (generate_deployment_refs, ostree.md §7 step 4): they
 *     keep real `ostree prune` and `ostree admin cleanup` off the deployments' stub commits;
 *  6. with `prune`: the cfs store GC (src/cfs/prune.ts) — its roots include every deployment's
 *     stub commit, so what is deployed stays; it is tried dry before step 1, so a store it
 *     refuses (an unreadable deployed commit, image or object) leaves the sysroot untouched.
 */
import { readCommit } from '../ostree/commit.js';
import { openRepo } from '../ostree/repo.js';
import { prune as pruneRepo, type PruneHook, type PruneResult } from '../cfs/prune.js';
import { cfsImagePaths, commitImageDigest } from './cfs-image.js';
import { type Deployment, loadSysroot } from './deployments.js';
import { writeDeploymentRefs } from './deployment-refs.js';
import { type Fs, nodeFs, removeTree } from '../io/fs.js';
import { deployName, parseDeployName, paths } from './layout.js';
import { withSysrootLock } from './lock.js';
import type { BootedEnv } from './booted.js';
import { reclaimSysrootTemps } from './temps.js';

export interface CleanupOptions {
  fs?: Fs;
  /** Also collect unreferenced stub commits, images and objects of the cfs store. */
  prune?: boolean;
  /** With `prune`: the collectors of what else the repo holds (src/cfs/prune.ts PruneHook). */
  pruneHooks?: PruneHook[];
  /** The caller holds the sysroot lock already. */
  locked?: boolean;
  /** Where the running system is seen from (booted.ts; default the host's). */
  env?: BootedEnv;
}

export interface CleanupResult {
  /** Sysroot-relative paths removed, in order. */
  removed: string[];
  pruned?: PruneResult;
}

const BOOT_DIR = /^(.+)-([0-9a-f]{64})$/;
const OVERLAY = /^([0-9a-f]{64})\.img$/;

export async function cleanup(sysroot: string, o: CleanupOptions = {}): Promise<CleanupResult> {
  const run = async () => {
    // a store prune refuses when anything deployed cannot be read: find out before deleting anything
    if (o.prune) await pruneRepo(openRepo(paths.repo(sysroot)), { depth: 0, dryRun: true, hooks: o.pruneHooks });
    const result = cleanupLocked(sysroot, o.fs ?? nodeFs, o.env);
    result.removed.push(...reclaimSysrootTemps(sysroot));
    if (o.prune) result.pruned = await pruneRepo(openRepo(paths.repo(sysroot)), { depth: 0, hooks: o.pruneHooks });
    return result;
  };
  return o.locked ? run() : withSysrootLock(sysroot, run);
}

/** Steps 1–4 (synchronous, all writes through `f`). */
export function cleanupLocked(sysroot: string, f: Fs, env?: BootedEnv): CleanupResult {
  const state = loadSysroot(sysroot, f, env);
  const removed: string[] = [];
  const rm = (path: string) => {
    if (!f.lstat(path)) return;
    removeTree(f, path);
    removed.push(path.slice(sysroot.length + 1));
  };
  const list = (dir: string) => (f.stat(dir)?.isDirectory() ? f.readdir(dir).map((b) => b.toString('latin1')).sort() : []);
  const { bootversion: b, subbootversion: s } = state;

  // 1. other bootversions (ostree.md §3.7: only one (B, S) pair is live)
  rm(paths.loader(sysroot, 1 - b));
  rm(paths.bootlinkLink(sysroot, 1 - b));
  rm(paths.bootlinkDir(sysroot, 1 - b, 0));
  rm(paths.bootlinkDir(sysroot, 1 - b, 1));
  rm(paths.bootlinkDir(sysroot, b, 1 - s));

  // 2. deployment directories not in the list (the .origin first: a crash leaves an unreferenced dir)
  const live = new Set(state.deployments.map((d) => `${d.stateroot}/${deployName(d)}`));
  for (const stateroot of list(paths.deployRoot(sysroot))) {
    const deployDir = paths.deployDir(sysroot, stateroot);
    for (const entry of list(deployDir)) {
      const name = parseDeployName(entry.endsWith('.origin') ? entry.slice(0, -'.origin'.length) : entry);
      if (!name || live.has(`${stateroot}/${deployName(name)}`)) continue;
      if (!entry.endsWith('.origin')) rm(paths.origin(sysroot, stateroot, name));
      rm(`${deployDir}/${entry}`);
    }
  }

  // 3. kernel directories and initramfs overlays nobody references
  const bootcsums = new Set(state.deployments.map((d) => d.bootcsum));
  const bootOstree = `${sysroot}/boot/ostree`;
  for (const name of list(bootOstree)) {
    const m = BOOT_DIR.exec(name);
    if (m && !bootcsums.has(m[2])) rm(`${bootOstree}/${name}`);
  }
  const overlays = new Set(state.deployments.flatMap((d) => d.overlayInitrds));
  for (const name of list(paths.overlayInitrds(sysroot))) {
    const m = OVERLAY.exec(name);
    if (m && !overlays.has(m[1])) rm(`${paths.overlayInitrds(sysroot)}/${name}`);
  }

  // 4. stateroot images no deployment uses (an unreadable commit keeps every image of its stateroot)
  const used = imagesInUse(sysroot, state.deployments);
  for (const stateroot of list(paths.deployRoot(sysroot))) {
    const dir = cfsImagePaths.staterootDir(sysroot, stateroot);
    const keep = used.get(stateroot);
    if (keep === null) continue;
    for (const name of list(dir)) {
      if (name.endsWith('.cfs') && !keep?.has(name.slice(0, -'.cfs'.length))) rm(`${dir}/${name}`);
    }
  }

  // 5. deployment refs of the live (B, S) pair
  writeDeploymentRefs(f, sysroot, b, s, state.deployments.map((d) => d.csum));
  return { removed };
}

/** Image digests per stateroot from the deployments' stub commits; null when one cannot be read. */
function imagesInUse(sysroot: string, deployments: Deployment[]): Map<string, Set<string> | null> {
  const repo = openRepo(paths.repo(sysroot));
  const out = new Map<string, Set<string> | null>();
  for (const d of deployments) {
    if (out.get(d.stateroot) === null) continue;
    let digest: string | undefined;
    try {
      digest = commitImageDigest(readCommit(repo, d.csum).commit);
    } catch {
      digest = undefined;
    }
    if (digest === undefined) out.set(d.stateroot, null);
    else out.set(d.stateroot, (out.get(d.stateroot) ?? new Set()).add(digest));
  }
  return out;
}
