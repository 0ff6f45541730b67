/**
 * Where a sysroot's temp files (src/io/temp-name.ts) can be left by a killed process: `ostree/` (the
 * sysroot lock's holder file), each stateroot's `deploy/` (origin files) and `composefs/` (images).
 * admin cleanup reclaims those whose process is gone.
 */
import { readdirSync } from 'node:fs';
import { reclaimTemps } from '../io/temp-name.js';
import { cfsImagePaths } from './cfs-image.js';
import { paths } from './layout.js';

/** Removes the sysroot's temp files of dead processes; returns their sysroot-relative paths. */
export function reclaimSysrootTemps(sysroot: string): string[] {
  let stateroots: string[] = [];
  try {
    stateroots = readdirSync(paths.deployRoot(sysroot));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dirs = [`${sysroot}/ostree`, ...stateroots.flatMap((s) => [paths.deployDir(sysroot, s), cfsImagePaths.staterootDir(sysroot, s)])];
  return reclaimTemps(dirs).paths.map((p) => p.slice(sysroot.length + 1));
}
