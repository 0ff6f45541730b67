/**
 * `cfskit`: the common entry. Build a composefs image from a source, store it and commit it into
 * an ostree repo, deploy it in a sysroot, pull from a remote; every refusal is a `CfsError`.
 * The rest of the API is in `cfskit/composefs` (images), `cfskit/ostree` (repositories) and
 * `cfskit/sysroot` (deployments). Data flows one way: source → tree → image → cfs/ store → stub
 * commit → deployment.
 */
export { CfsError, CFS_ERROR_CODES, ERRNO_CODES, type CfsErrorCode, type ErrnoCode, type ErrorPlace } from './errors.js';

// Source → image
export { loadSource, buildImage, digestFile, type SourceSpec, type BuildOptions, type BuiltImage, type FsverityDigest } from './api/composefs.js';

// Image → repo: the image in cfs/, a stub commit naming it
export {
  initRepo, openRepo, commitImage, storeImage, writeStubCommit,
  type Repo, type RepoMode, type ImageInput, type CommitMetadata, type CommittedImage, type StubCommitOptions,
} from './api/ostree.js';

// Repo → sysroot
export { deploy, status, type DeployOptions, type DeployResult, type Status } from './api/sysroot.js';

// Remote → repo
export { pull, type PullOptions, type PullResult } from './api/ostree.js';
