/**
 * Where a composefs deployment's image lives and how it is read (spec ostree.md §5.3, §6 items 1,
 * 3, 4; docs/FORMAT.md "Composefs deployments"):
 *
 *   ostree/repo/cfs/images/<digest>                   the store's image (written by `cfskit commit`)
 *   ostree/repo/cfs/objects/XX/REST                   backing files (the overlay's data-only layer)
 *   ostree/deploy/S/composefs/<digest>.cfs            the stateroot's copy (hardlink when possible)
 *   ostree/deploy/S/deploy/<stub>.<serial>/.ostree.cfs the name ostree's prepare-root mounts
 *
 * `<digest>` is the image's fs-verity SHA-256 digest in hex, = the stub commit's
 * `ostree.composefs.digest.v0` = the `composefs=` karg.
 */
import { readFileSync } from 'node:fs';
import { CfsError } from '../errors.js';
import { readImage } from '../composefs/erofs/reader.js';
import type { Node } from '../tree/tree.js';
import { META } from '../ostree/commit.js';
import type { Commit } from '../ostree/formats.js';
import { lookup } from '../formats/gvariant.js';
import type { DeployName } from './layout.js';
import { deployName, paths } from './layout.js';
import { CFS_OBJECTS_DIR } from './boot/initramfs.js';

/** OSTREE_COMPOSEFS_NAME: the image inside a deployment directory (ostree.md §5.3). */
export const DEPLOY_IMAGE = '.ostree.cfs';
/** The stateroot directory holding its deployments' images. */
export const STATEROOT_IMAGES = 'composefs';
/** The kernel argument naming the image digest. */
export const COMPOSEFS_KARG = 'composefs';

const HEX64 = /^[0-9a-f]{64}$/;
export const isDigestHex = (s: string): boolean => HEX64.test(s);

export const cfsImagePaths = {
  objects: (sysroot: string) => `${sysroot}/${CFS_OBJECTS_DIR}`,
  object: (sysroot: string, hex: string) => `${sysroot}/${CFS_OBJECTS_DIR}/${hex.slice(0, 2)}/${hex.slice(2)}`,
  store: (sysroot: string, hex: string) => `${paths.repo(sysroot)}/cfs/images/${hex}`,
  staterootDir: (sysroot: string, stateroot: string) => `${paths.stateroot(sysroot, stateroot)}/${STATEROOT_IMAGES}`,
  stateroot: (sysroot: string, stateroot: string, hex: string) => `${paths.stateroot(sysroot, stateroot)}/${STATEROOT_IMAGES}/${hex}.cfs`,
  deployment: (sysroot: string, stateroot: string, d: DeployName) => `${paths.deployment(sysroot, stateroot, d)}/${DEPLOY_IMAGE}`,
  /** The deployment directory relative to the sysroot (what the initramfs extension records). */
  deploymentRel: (stateroot: string, d: DeployName) => `ostree/deploy/${stateroot}/deploy/${deployName(d)}`,
};

/** `ostree.composefs.digest.v0` of a commit as hex, or undefined when absent or malformed. */
export function commitImageDigest(commit: Commit): string | undefined {
  const v = lookup(commit.metadata, META.composefsDigest);
  if (v?.type !== 'ay' || !(v.value instanceof Uint8Array) || v.value.length !== 32) return undefined;
  return Buffer.from(v.value).toString('hex');
}

/** A string metadata value of a commit (`version`), or undefined. */
export function commitString(commit: Commit, key: string): string | undefined {
  const v = lookup(commit.metadata, key);
  return v?.type === 's' ? (v.value as string) : undefined;
}

/** Loads an image file's tree (optionally only some paths: readImage's `paths`). */
export function readImageFile(path: string, only?: string[]): Node {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CfsError(`cannot read image: ${(e as Error).message}`, { file: path, code: 'EDEPLOY' });
  }
  return readImage(bytes, { file: path, paths: only });
}

/** The node at a relative path ('usr/etc') of a tree, or undefined. */
export function lookupPath(root: Node, rel: string): Node | undefined {
  let n: Node | undefined = root;
  for (const part of rel.split('/')) n = n?.lookup(new TextEncoder().encode(part));
  return n;
}
