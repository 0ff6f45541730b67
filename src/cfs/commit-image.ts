/**
 * The one way an image enters a repository: image → cfs store → stub commit, under the repo's
 * writer lock (so a concurrent prune cannot collect the new objects before a ref names them).
 * The input is a source loader, a tree or a built image; the steps, in order:
 *
 *  1. the tree: `load` stores its files in `cfs/objects/` (a tree given is taken as stored; the
 *     backing objects of an image given must be in the store unless `partial`);
 *  2. the image (built from the tree, else as given) stored as an object + `cfs/images/<digest>`;
 *  3. the stub commit (src/ostree/commit.ts) bound to the branch, marked partial when asked;
 *  4. `beforeRef` (signing), then the branch moved (the ref never names an unsigned commit) and
 *     the summary rewritten when `[core] auto-update-summary` asks for it.
 *
 * Every write goes through the repo's Fs seam (`repo.fs`).
 */
import { readFile } from 'node:fs/promises';
import { CfsError } from '../errors.js';
import { type BuildOptions, buildImage } from '../composefs/index.js';
import { readImage, readImageHeader } from '../composefs/erofs/reader.js';
import { findKernel } from '../formats/bootcsum.js';
import type { VarDict } from '../formats/gvariant.js';
import { writeStubCommit } from '../ostree/commit.js';
import { withRepoLock } from '../ostree/lock.js';
import { writeRef } from '../ostree/refs.js';
import { type Repo, repoFs } from '../ostree/repo.js';
import { autoUpdateSummary } from '../ostree/summary.js';
import { ObjectStore } from '../store/objects.js';
import type { Node } from '../tree/tree.js';
import { checkObject } from './object-file.js';
import { backingObjects, summarize } from './reach.js';
import { cfsPaths, markPartial, openCfs, storeImage } from './store.js';

export type ImageInput =
  /** A source: `load` reads it, storing its files in the repo's object store, and returns its tree. */
  | { load: (store: ObjectStore) => Promise<Node> }
  /** A tree whose backing files are in the repo's store already. */
  | { tree: Node }
  /** A built image: its bytes or a file; `root`, its tree when the caller has read it already. */
  | { image: Uint8Array | string; root?: Node };

/** What the stub commit says, and how it is made. Read after the input is loaded (a source may add provenance). */
export interface CommitMetadata {
  /** The branch the commit goes on (and is bound to); none: a commit no ref names. */
  branch?: string;
  subject?: string;
  body?: string;
  /** Parent checksum or rev; default the branch's current commit; null for none. */
  parent?: string | null;
  /** `version` metadata. */
  version?: string;
  /** Extra metadata, after cfskit's keys. */
  metadata?: VarDict;
  /** Seconds since the epoch; default SOURCE_DATE_EPOCH, else now. */
  timestamp?: bigint;
  /** Image format versions to choose from (built images only). */
  writer?: Pick<BuildOptions, 'minVersion' | 'maxVersion'>;
  /** An image given may name backing objects the repo lacks; the commit is then marked partial. */
  partial?: boolean;
  /** Runs on the new commit before the branch moves to it (signing). */
  beforeRef?: (checksum: string) => void;
  /** The caller holds the repo's writer lock already. */
  locked?: boolean;
}

export interface CommittedImage {
  /** The stub commit: what `cfskit commit` prints. */
  checksum: string;
  /** fs-verity digest of the image (hex): its name under `cfs/images/`. */
  digest: string;
  formatVersion: number;
  /** The image's tree (partial when the caller gave one). */
  root: Node;
  imageSize: number;
}

/** Stores the image of `input` and commits a stub commit naming it; see the module comment. */
export function commitImage(repo: Repo, input: ImageInput, meta: CommitMetadata = {}): Promise<CommittedImage> {
  const run = () => commitLocked(repo, input, meta);
  return meta.locked ? run() : withRepoLock(repo, run);
}

async function commitLocked(repo: Repo, input: ImageInput, meta: CommitMetadata): Promise<CommittedImage> {
  let image: Uint8Array;
  let formatVersion: number;
  let root: Node;
  if ('image' in input) {
    const file = typeof input.image === 'string' ? input.image : 'image';
    image = typeof input.image === 'string' ? await readFile(input.image) : input.image;
    formatVersion = readImageHeader(image, { file }).composefsVersion;
    root = input.root ?? readImage(image, { file });
    const objects = cfsPaths(repo).objects;
    const missing = [...backingObjects(image, file)].filter((hex) => !hasObject(objects, hex));
    if (missing.length > 0 && !meta.partial) {
      throw new CfsError(`${summarize(missing, 'backing object')} not in the repo: store them first, or commit with --partial`, { file, code: 'ECOMMIT' });
    }
  } else {
    if ('load' in input) {
      const cfs = await openCfs(repo);
      root = await input.load(new ObjectStore(cfs.objects, { fs: repoFs(repo) }));
    } else {
      root = input.tree;
    }
    ({ image, version: formatVersion } = buildImage(root, meta.writer));
  }
  const digest = await storeImage(repo, image);
  const checksum = writeStubCommit(repo, {
    branch: meta.branch,
    subject: meta.subject,
    body: meta.body,
    parent: meta.parent,
    metadata: meta.metadata,
    imageDigest: new Uint8Array(Buffer.from(digest, 'hex')),
    formatVersion,
    version: meta.version,
    kernelVersion: findKernel(root)?.kver,
    timestamp: meta.timestamp,
    keepRef: true,
  });
  if (meta.partial) await markPartial(repo, checksum);
  meta.beforeRef?.(checksum);
  if (meta.branch !== undefined) {
    writeRef(repo, meta.branch, checksum);
    autoUpdateSummary(repo);
  }
  return { checksum, digest, formatVersion, root, imageSize: image.length };
}

/** An object is in the store (a regular file, its directory not a symlink). */
function hasObject(objects: string, hex: string): boolean {
  try {
    checkObject(objects, hex);
    return true;
  } catch (e) {
    if (e instanceof CfsError) return false;
    throw e;
  }
}
