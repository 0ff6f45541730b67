/**
 * Sysroots with composefs deployments for the deploy tests: an OS tree on disk (kernel,
 * initramfs, os-release, a binary, usr/etc defaults), committed as `cfskit commit` does, by
 * commitImage (image + backing objects in ostree/repo/cfs, stub commit on `<stateroot>/stable`).
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commitImage } from '../../../src/cfs/commit-image.js';
import { storeImage } from '../../../src/cfs/store.js';
import { buildImage } from '../../../src/composefs/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { openRepo } from '../../../src/ostree/repo.js';
import { cfsImagePaths } from '../../../src/sysroot/cfs-image.js';
import { initFs, osInit, paths } from '../../../src/sysroot/layout.js';

export const KVER = '6.1.0-cfskit';
export const STATEROOT = 'testos';

export function makeSysroot(dir: string, staterroots = [STATEROOT]): void {
  mkdirSync(dir, { recursive: true });
  initFs(dir);
  for (const s of staterroots) osInit(dir, s);
}

/** Files of an OS version: path → content (a string, or ['symlink', target]); a path ending in '/' is a directory. */
export type OsFiles = Record<string, string | ['symlink', string]>;

export function osFiles(version: string, extra: OsFiles = {}): OsFiles {
  return {
    [`usr/lib/modules/${KVER}/vmlinuz`]: `kernel ${KVER} `.repeat(200),
    [`usr/lib/modules/${KVER}/initramfs.img`]: `base initramfs `.repeat(100),
    'usr/lib/os-release': `NAME="Cfskit Test OS"\nPRETTY_NAME="Cfskit Test OS"\nID=cfskittest\nVERSION_ID=${version}\n`,
    'usr/bin/hello': `#!/bin/sh\necho hello from version ${version} ${'#'.repeat(100)}\n`,
    'usr/etc/hostname': 'cfskit\n',
    'usr/etc/motd': `Welcome to version ${version}\n`,
    'usr/etc/fstab': '# static file system information\n',
    'usr/etc/ssh/sshd_config': 'PermitRootLogin no\n',
    'usr/etc/os-release': ['symlink', '../usr/lib/os-release'],
    'var/lib/placeholder': '',
    // the mount point prepare-root binds the deployment's etc/ over (ostree.md §5.4 step 5)
    'etc/': '',
    ...extra,
  };
}

export function writeTree(dir: string, files: OsFiles): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(rel.endsWith('/') ? path : dirname(path), { recursive: true });
    if (rel.endsWith('/')) continue;
    if (Array.isArray(content)) symlinkSync(content[1], path);
    else writeFileSync(path, content);
  }
}

/** Stores the image of a tree (and its objects) in the sysroot's cfs store, with no commit. */
export async function storeTree(sysroot: string, tree: string) {
  const repo = openRepo(paths.repo(sysroot));
  const root = await loadLocalSource({ kind: 'dir', paths: [tree], options: { digestStore: cfsImagePaths.objects(sysroot) } });
  const { image, version: formatVersion } = buildImage(root);
  return { repo, root, formatVersion, digest: await storeImage(repo, image) };
}

/** Commits a tree into the sysroot's repo; returns the stub commit checksum and image digest. */
export async function commitTree(sysroot: string, tree: string, version: string, branch = `${STATEROOT}/stable`): Promise<{ checksum: string; digest: string }> {
  const repo = openRepo(paths.repo(sysroot));
  const load = () => loadLocalSource({ kind: 'dir', paths: [tree], options: { digestStore: cfsImagePaths.objects(sysroot) } });
  const { checksum, digest } = await commitImage(repo, { load }, { branch, version, timestamp: 1700000000n });
  return { checksum, digest };
}

/** An OS version on disk and committed. */
export async function commitVersion(sysroot: string, work: string, version: string, extra: OsFiles = {}) {
  const tree = join(work, `tree-${version}`);
  writeTree(tree, osFiles(version, extra));
  return commitTree(sysroot, tree, version);
}
