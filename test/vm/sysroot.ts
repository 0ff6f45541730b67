/**
 * Commits and deploys sample OS trees into a sysroot with cfskit's own modules. commitTree does what
 * `cfskit commit` does (image + backing files into the repo's cfs/ store, stub commit); deployCommit
 * the steps of `admin deploy` (issue 6): deployment dir with etc/ and .ostree.cfs, .origin, kernel +
 * base initramfs into boot/ostree/S-<bootcsum>/, the initramfs extension as an overlay initrd, the
 * BLS entry, then the atomic boot swap.
 */
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSource } from '../../src/composefs/sources/index.js';
import { buildImage } from '../../src/composefs/index.js';
import { imagePath, openCfs, storeImage } from '../../src/cfs/store.js';
import { writeStubCommit } from '../../src/ostree/commit.js';
import { openRepo } from '../../src/ostree/repo.js';
import { BootEntry } from '../../src/sysroot/bls.js';
import { bootFileNames, computeBootcsum } from '../../src/sysroot/bootcsum.js';
import { allocateDeployserial, type Deployment, listWithNewDeployment, loadSysroot } from '../../src/sysroot/deployments.js';
import { CFS_OBJECTS_DIR, imageSha256, writeExtension } from '../../src/sysroot/initramfs.js';
import { deployName, paths } from '../../src/sysroot/layout.js';
import { originForRefspec, writeOrigin } from '../../src/sysroot/origin.js';
import { writeDeployments } from '../../src/sysroot/swap.js';

/** The image, named as ostree's prepare-root looks for it in a deployment (spec §6 item 3). */
export const DEPLOY_IMAGE = '.ostree.cfs';

export interface Deployed {
  deployment: Deployment;
  /** fs-verity digest of the image (the `composefs=` karg). */
  digest: string;
  /** The deployment directory relative to the sysroot. */
  dir: string;
}

export interface Committed {
  csum: string;
  /** fs-verity digest of the image = its name in cfs/images/. */
  digest: string;
}

/** `cfskit commit --branch STATEROOT/stable --version V TREE` into the sysroot's repo. */
export async function commitTree(sysroot: string, stateroot: string, tree: string, version: string, kver: string): Promise<Committed> {
  const repo = openRepo(paths.repo(sysroot));
  const cfs = await openCfs(repo);
  const root = await loadSource({ kind: 'dir', paths: [tree], options: { digestStore: cfs.objects } });
  const { image, version: formatVersion } = buildImage(root);
  const digest = await storeImage(repo, image);
  const csum = writeStubCommit(repo, {
    branch: `${stateroot}/stable`, imageDigest: Buffer.from(digest, 'hex'), formatVersion,
    version, kernelVersion: kver, timestamp: 1700000000n,
  });
  return { csum, digest };
}

export interface DeployOptions {
  kargs: string;
  /** Title of the BLS entry (admin deploy takes it from os-release). */
  title: string;
  kver: string;
  /** The tree the merge deployment (the current default) was made from: its usr/etc are the old defaults. */
  mergeTree?: string;
}

/**
 * Deploys a commit of `tree` as the new default of `stateroot`, keeping the current deployments.
 * Kernel, initramfs and etc defaults are read from `tree` (admin deploy reads them from the image).
 */
export async function deployCommit(sysroot: string, stateroot: string, commit: Committed, tree: string, o: DeployOptions): Promise<Deployed> {
  const { csum, digest } = commit;
  const image = await imagePath(openRepo(paths.repo(sysroot)), digest);
  if (!image) throw new Error(`image ${digest} is not in the cfs store`);
  const name = { csum, deployserial: allocateDeployserial(sysroot, stateroot, csum) };
  const dirAbs = paths.deployment(sysroot, stateroot, name);
  const dir = `ostree/deploy/${stateroot}/deploy/${deployName(name)}`;
  mkdirSync(dirAbs, { recursive: true });
  copyFileSync(image, join(dirAbs, DEPLOY_IMAGE));
  // /etc: the new defaults, then the merge deployment's local changes on top.
  cpSync(join(tree, 'usr/etc'), join(dirAbs, 'etc'), { recursive: true, verbatimSymlinks: true });
  const state = loadSysroot(sysroot);
  const merge = state.deployments.find((d) => d.stateroot === stateroot);
  if (merge && o.mergeTree) {
    const mergeEtc = join(paths.deployment(sysroot, stateroot, merge), 'etc');
    for (const [file, data] of localEtcChanges(mergeEtc, join(o.mergeTree, 'usr/etc'))) {
      writeFileSync(join(dirAbs, 'etc', file), data);
    }
  }
  writeOrigin(paths.origin(sysroot, stateroot, name), originForRefspec(`${stateroot}/stable`));

  const modules = join(tree, 'usr/lib/modules', o.kver);
  const vmlinuz = join(modules, 'vmlinuz');
  const initramfs = join(modules, 'initramfs.img');
  const bootcsum = computeBootcsum([vmlinuz, initramfs]);
  const names = bootFileNames(o.kver);
  const overlay = writeExtension(sysroot, {
    digest, image: `${dir}/${DEPLOY_IMAGE}`, sha256: imageSha256(join(dirAbs, DEPLOY_IMAGE)),
    objects: CFS_OBJECTS_DIR, deployment: dir, composefs: 'yes',
  });
  const entry = new BootEntry();
  entry.set('title', o.title);
  entry.set('options', `${o.kargs} composefs=${digest}`);
  entry.set('linux', `/ostree/${stateroot}-${bootcsum}/${names.vmlinuz}`);
  entry.initrds = [`/ostree/${stateroot}-${bootcsum}/${names.initramfs}`, overlay];
  const deployment: Deployment = {
    stateroot, ...name, bootcsum, bootserial: 0, entry, origin: originForRefspec(`${stateroot}/stable`),
    unlocked: 'none', overlayInitrds: [],
  };
  const bootFiles = new Map([[`${stateroot}-${bootcsum}`, [
    { name: names.vmlinuz, src: vmlinuz }, { name: names.initramfs, src: initramfs },
  ]]]);
  writeDeployments(sysroot, listWithNewDeployment(state, deployment, { retain: true }), { bootFiles });
  return { deployment, digest, dir };
}

/**
 * Local changes of a flat etc/: regular files that the old defaults lack or hold with other bytes
 * (the real 3-way merge is `admin deploy`'s; the test changes one file).
 */
function localEtcChanges(etc: string, oldDefaults: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const file of readdirSync(etc)) {
    if (!lstatSync(join(etc, file)).isFile()) continue;
    const data = readFileSync(join(etc, file));
    const old = existsSync(join(oldDefaults, file)) ? readFileSync(join(oldDefaults, file)) : undefined;
    if (!old || !old.equals(data)) out.push([file, data]);
  }
  return out;
}
