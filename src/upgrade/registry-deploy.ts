/**
 * A registry image into a repo and a sysroot: pull (blobs cached in `cfs/oci/`), build, store the
 * image, write a stub commit recording the reference and manifest digest (provenance.ts), and
 * deploy it with an origin that follows the reference (`[origin] container-image-reference=`).
 */
import type { RegistryOptions } from '../composefs/sources/index.js';
import { loadSource } from '../registry/source.js';
import { type CommitMetadata, commitImage } from '../cfs/commit-image.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { cleanupLocked } from '../sysroot/cleanup.js';
import { type DeployOptions, type DeployResult, deploy } from '../sysroot/deploy.js';
import { nodeFs } from '../io/fs.js';
import { KeyFile } from '../formats/keyfile.js';
import { paths } from '../sysroot/layout.js';
import { withSysrootLock } from '../sysroot/lock.js';
import { ORIGIN_GROUP } from '../sysroot/origin.js';
import { repoBlobCache } from '../registry/cache.js';
import { ORIGIN_IMAGE_REFERENCE, type Provenance, provenanceMetadata } from '../registry/provenance.js';

export interface RegistryCommit {
  checksum: string;
  provenance: Provenance;
  fetchedBlobs: number;
  fetchedBytes: number;
}

/** Pulls, builds and commits `reference` under the repo's writer lock (on `branch`, else on no branch). */
export async function commitRegistryImage(repo: Repo, reference: string, o: RegistryOptions & { branch?: string; subject?: string } = {}): Promise<RegistryCommit> {
  let pulled: Parameters<NonNullable<RegistryOptions['onPulled']>>[0] | undefined;
  const meta: CommitMetadata = { branch: o.branch, subject: o.subject, metadata: [] };
  const onPulled = (p: NonNullable<typeof pulled>) => {
    pulled = p;
    meta.subject ??= `Image ${p.reference}`;
    meta.metadata!.push(...provenanceMetadata(p));
  };
  // the blob cache in cfs/oci/ is guarded by the writer lock commitImage holds while loading
  const { checksum } = await commitImage(repo, {
    load: (store) => loadSource({ kind: 'oci', paths: [reference], options: { digestStore: store.dir, registry: { ...o, cacheDir: repoBlobCache(repo), cacheLocked: true, onPulled } } }),
  }, meta);
  const provenance: Provenance = { reference: pulled!.reference, manifestDigest: pulled!.manifestDigest, indexDigest: pulled!.indexDigest };
  return { checksum, provenance, fetchedBlobs: pulled!.fetchedBlobs, fetchedBytes: pulled!.fetchedBytes };
}

/** The origin of a deployment that follows a registry reference. */
export function registryOrigin(reference: string): KeyFile {
  const kf = new KeyFile();
  kf.setString(ORIGIN_GROUP, ORIGIN_IMAGE_REFERENCE, reference);
  return kf;
}

export interface RegistryDeployOptions extends Omit<DeployOptions, 'source' | 'origin' | 'locked'> {
  reference: string;
  registry?: RegistryOptions;
}

export interface RegistryDeployResult extends DeployResult {
  commit: RegistryCommit;
}

/**
 * `admin deploy docker://…`: under the sysroot lock, pull + commit (repo writer lock), then deploy
 * with a `container-image-reference` origin and clean up as `admin deploy` does.
 */
export async function deployFromRegistry(o: RegistryDeployOptions): Promise<RegistryDeployResult> {
  const { reference, registry, ...rest } = o;
  return withSysrootLock(o.sysroot, async () => {
    const commit = await commitRegistryImage(openRepo(paths.repo(o.sysroot)), reference, registry);
    return { ...(await deployRegistryCommit(commit, rest)), commit };
  });
}

/** Deploys an already committed registry image; the caller holds the sysroot lock. */
export async function deployRegistryCommit(commit: Pick<RegistryCommit, 'checksum' | 'provenance'>, o: Omit<DeployOptions, 'source' | 'origin' | 'locked'>): Promise<DeployResult> {
  const result = await deploy({ ...o, source: commit.checksum, origin: registryOrigin(commit.provenance.reference), locked: true });
  cleanupLocked(o.sysroot, o.fs ?? nodeFs);
  return result;
}
