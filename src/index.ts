/**
 * cfskit's public API: composefs images and composefs deployments for ostree sysroots.
 * Data flows one way: source → tree → image → cfs/ store → stub commit → deployment.
 */
export { CfsError, type ErrorPlace } from './errors.js';

// fs-verity (composefs-image.md §1)
export { FsverityHasher, DigestBatch, digestBytes, digestFile, digestStream, digestMany, sha256, sha512 } from './fsverity/index.js';
export type { FsverityDigest, FsverityOptions, HashAlg } from './fsverity/index.js';

// The tree every source produces and the writer consumes
export { Node, type Xattr } from './tree/tree.js';

// composefs images: dumpfile in, EROFS out, and back (composefs-image.md §2, §3)
export {
  buildImage, parseDump, parseDumpStream, writeImage,
  type BuildOptions, type BuiltImage, type ParseDumpOptions, type WriteOptions, type WrittenImage,
} from './composefs/index.js';
export { readImage, readImageHeader, type ReadImageOptions, type ImageHeader } from './composefs/erofs/reader.js';
export { printDump, dumpChunks } from './composefs/dumpfile/print.js';
export { lsChunks, collectObjects, sortedObjects } from './composefs/listing.js';

// Sources: directory, tar layers, OCI layouts; the digest store
export { loadLocalSource, type SourceSpec, type LoadOptions, type SourceOptions, type ProgressSink } from './composefs/sources/index.js';
export { loadSource } from './registry/source.js';
export { loadDirectory } from './composefs/sources/dir.js';
export { loadTarLayers, readTar } from './composefs/sources/tar.js';
export { loadOciLayout } from './composefs/sources/oci.js';
export { applyOverrides } from './composefs/sources/overrides.js';
export { ObjectStore, objectPath, type StoredObject } from './store/objects.js';

// ostree: GVariant, repo, refs, stub commits, conversion (ostree.md §1, §2, §6)
export {
  encode as encodeVariant, decode as decodeVariant, parseType as parseVariantType, lookup as lookupMetadata,
  type Variant, type GvValue, type VarDict, type Endian,
} from './formats/gvariant.js';
export { printVariant } from './formats/gvariant-text.js';
export { initRepo, openRepo, INIT_MODES, type Repo, type RepoMode } from './ostree/repo.js';
export { readRef, writeRef, deleteRef, listRefs, parseRefspec, isValidRefName } from './ostree/refs.js';
export { withRepoLock } from './ostree/lock.js';
export { writeStubCommit, readCommit, resolveRev, META as COMMIT_META_KEYS, type StubCommitOptions } from './ostree/commit.js';
export {
  encodeCommit, decodeCommit, encodeDirTree, decodeDirTree, encodeDirMeta, decodeDirMeta, contentChecksum,
  type Commit, type DirTree, type DirMeta,
} from './ostree/formats.js';
export { formatCommit } from './ostree/dump.js';
export { checkoutTree, type CheckoutOptions } from './ostree/checkout-tree.js';

// The cfs/ store inside the repo, GC and fsck
export { openCfs, storeImage, refImage, imagePath, cfsPaths, CFS_META } from './cfs/store.js';
export { commitImage, type ImageInput, type CommitMetadata, type CommittedImage } from './cfs/commit-image.js';
export { prune, type PruneHook, type PruneOptions, type PruneResult } from './cfs/prune.js';
export { fsckRepo, type FsckProblem } from './cfs/fsck.js';

// The sysroot: layout, boot entries, deployments, /etc merge, initramfs extension (ostree.md §3, §4, §6)
export { KeyFile } from './formats/keyfile.js';
export { BootEntry, entryFileName, compareEntries, strverscmp } from './formats/bls.js';
export { CpioWriter, writeCpio, readCpio, type CpioEntry, type CpioMember } from './formats/cpio.js';
export {
  initFs, osInit, paths, deployName, parseDeployName, ostreeKarg, parseOstreeKarg, bootlinkTarget,
  type DeployName, type Bootlink,
} from './sysroot/layout.js';
export { findKernel, bootcsumInputs, computeBootcsum, bootFileNames, type KernelLayout, type ByteSource } from './formats/bootcsum.js';
export { writeDeployments, renderEntry, type BootFile, type WriteOptions as BootWriteOptions, type SwapKind } from './sysroot/boot/swap.js';
export {
  loadSysroot, listWithNewDeployment, listWithout, listWithDefault, mergeDeployment, allocateDeployserial,
  assignBootserials, pendingAndRollback, type Deployment, type SysrootState,
} from './sysroot/deployments.js';
export { formatStatus, deploymentStatuses, type CommitInfo, type DeploymentStatus } from './sysroot/status.js';
export { lockSysroot, withSysrootLock } from './sysroot/lock.js';
export { buildDeploymentEtc, objectsContent, type EtcDefaults, type EtcMergeInput, type EtcMergeResult } from './sysroot/etc/etc-merge.js';
export { readOrigin, writeOrigin, isPinned, setPinned, originForRefspec } from './sysroot/origin.js';
export { type Fs, nodeFs } from './io/fs.js';
export {
  buildExtension, writeExtension, readExtension, extensionFileName, overlayInitrdLine, imageSha256,
  EXTENSION_FILES, CFS_OBJECTS_DIR, INIT_HOOK, type ExtensionInfo, type ReadExtension, type ComposefsMode,
} from './sysroot/boot/initramfs.js';
export { PREPARE_ROOT_SCRIPT, PREPARE_ROOT_TAG } from './sysroot/boot/prepare-root.js';

// Deployments: deploy, verify, cleanup and the list operations (ostree.md §3, §6, §7)
export { deploy, verify, cleanup, undeploy, rollback, setDefault, pin, kargs, status } from './sysroot/index.js';
export type {
  DeployOptions, DeployResult, VerifyOptions, VerifyProblem, VerifyReport, CleanupOptions, CleanupResult,
  KargsEdit, OperationOptions,
} from './sysroot/index.js';

// Registry (docker:// sources): references, pull into a blob cache, provenance, deploy and upgrade
export { parseReference, formatReference, isDockerReference, type ImageReference } from './registry/reference.js';
export { pullToCache, loadRegistryImage, remoteDigest, parsePlatform, type PulledImage, type Platform } from './registry/pull.js';
export { BlobCache, repoBlobCache } from './registry/cache.js';
export { pruneBlobCache } from './registry/cache-prune.js';
export { commitRegistryImage, deployFromRegistry, registryOrigin, type RegistryCommit, type RegistryDeployOptions } from './upgrade/registry-deploy.js';
export { upgradeFromRegistry, type UpgradeOptions as RegistryUpgradeOptions } from './upgrade/registry-upgrade.js';
export { commitProvenance, type Provenance } from './registry/provenance.js';
// Publishing, remotes, signatures, pull over HTTP(S), upgrade
export { encodeSummary, decodeSummary, buildSummary, updateSummary, autoUpdateSummary, type Summary, type SummaryRef } from './ostree/summary.js';
export { addRemote, deleteRemote, listRemotes, readRemote, type Remote } from './remote/config.js';
export { parseSecretKey, parsePublicKey, signData, verifyData, readKeysFile, type SecretKey } from './sign/ed25519.js';
export { signCommit, verifyCommitSignature } from './sign/commit.js';
export { pull, remoteRefs, type PullOptions, type PullResult, type PulledRef } from './pull/pull.js';
export { HttpClient, type HttpOptions } from './pull/http.js';
export { upgrade, type UpgradeOptions, type UpgradeResult } from './upgrade/upgrade.js';
