/**
 * `cfskit/ostree`: the ostree repository with its `cfs/` store. Repos (init, open), refs, stub
 * commits that name a composefs image, the GVariant codec of ostree's objects, prune and fsck,
 * remotes, signatures and pull over HTTP(S).
 */

// Repository, refs, the writer lock
export {
  /** Creates a repository (a no-op on an existing one, like `ostree init`) and opens it. */
  initRepo,
  /** Opens an existing repository. */
  openRepo,
  /** The modes `initRepo` creates: bare, bare-user, bare-user-only, archive. */
  INIT_MODES,
  /** An open repository: its path, mode and config. */
  type Repo,
  /** A repository's storage mode for content objects. */
  type RepoMode,
} from '../ostree/repo.js';
export {
  /** The checksum a ref points to, or undefined. */
  readRef,
  /** Points a ref at a commit, atomically. */
  writeRef,
  /** Deletes a ref; false when it did not exist. */
  deleteRef,
  /** Every local and remote ref with its checksum, sorted. */
  listRefs,
  /** Splits a refspec `[REMOTE:]NAME` and validates both parts. */
  parseRefspec,
  /** True for a ref name ostree accepts. */
  isValidRefName,
} from '../ostree/refs.js';
export {
  /** Runs a function holding the repository's writer lock (what every writing cfskit command takes). */
  withRepoLock,
} from '../ostree/lock.js';

// Images in cfs/ and the stub commits naming them
export {
  /** Stores image bytes in the repo's `cfs/images/` under their fs-verity digest; returns the hex digest. */
  storeImage,
  /** Names a stored image in `cfs/images/refs/`. */
  refImage,
  /** The path of a stored image by hex digest, or undefined. */
  imagePath,
} from '../cfs/store.js';
export {
  /** Builds (from a source loader or a tree) or takes an image, stores it in `cfs/`, writes the stub commit and moves the branch, under the repo lock. */
  commitImage,
  /** What `commitImage` commits: a source loader, a tree, or image bytes or a file. */
  type ImageInput,
  /** The stub commit `commitImage` writes: branch, subject, body, version, extra metadata, partial. */
  type CommitMetadata,
  /** What `commitImage` did: the commit checksum, the image digest and format version, the tree and the image size. */
  type CommittedImage,
} from '../cfs/commit-image.js';
export {
  /** Writes a stub commit naming a composefs image (`ostree.composefs.digest.v0`) and moves its branch. */
  writeStubCommit,
  /** Loads a commit by revision (ref, checksum, prefix, `^`). */
  readCommit,
  /** The checksum a revision names. */
  resolveRev,
  /** The commit metadata keys cfskit reads and writes. */
  META as COMMIT_META_KEYS,
  /** What `writeStubCommit` takes: image digest, branch, subject, metadata, parent. */
  type StubCommitOptions,
} from '../ostree/commit.js';
export {
  /** A decoded commit object: metadata, parent, subject, body, timestamp, root tree. */
  type Commit,
} from '../ostree/formats.js';
export {
  /** A commit as `ostree log`/`show` print it. */
  formatCommit,
} from '../ostree/dump.js';

// GVariant, ostree's serialization
export {
  /** Serializes a value of a GVariant type in normal form. */
  encode as encodeVariant,
  /** Parses bytes of a GVariant type, refusing what is not in normal form. */
  decode as decodeVariant,
  /** Parses a GVariant type string. */
  parseType as parseVariantType,
  /** The first value of a key in an `a{sv}` (commit metadata). */
  lookup as lookupMetadata,
  /** A GVariant `v`: its type string and value. */
  type Variant,
  /** A decoded GVariant value. */
  type GvValue,
  /** An `a{sv}` dictionary as key–variant pairs in order. */
  type VarDict,
} from '../formats/gvariant.js';
export {
  /** A GVariant value in GLib's text form (`g_variant_print`). */
  printVariant,
} from '../formats/gvariant-text.js';

// Garbage collection and checks
export {
  /** Deletes what no ref, deployment or image ref reaches (commits, images, backing objects); refuses before deleting if a reachable object cannot be read. */
  prune,
  /** Options of `prune`: history depth kept, dry run, collectors of other caches in the repo. */
  type PruneOptions,
  /** What `prune` removed: counts and bytes. */
  type PruneResult,
} from '../cfs/prune.js';
export {
  /** Checks every commit, image and backing object reachable in the repo; returns the problems found. */
  fsckRepo,
  /** One problem `fsckRepo` found: the path and the reason. */
  type FsckProblem,
} from '../cfs/fsck.js';

// Publishing, remotes, signatures, pull
export {
  /** Rewrites the repository's `summary` file from its refs. */
  updateSummary,
} from '../ostree/summary.js';
export {
  /** Adds a remote to the repo's config (`ostree remote add`). */
  addRemote,
  /** Deletes a remote from the repo's config. */
  deleteRemote,
  /** The remote names in the config, sorted. */
  listRemotes,
  /** Reads a remote's URL, branches and verification keys. */
  readRemote,
  /** A remote as configured: name, URL, branches, signature verification. */
  type Remote,
} from '../remote/config.js';
export {
  /** Adds ed25519 signatures to a commit's detached metadata. */
  signCommit,
  /** The public key that verifies a signature of a commit, else a CfsError. */
  verifyCommitSignature,
} from '../sign/commit.js';
export {
  /** Pulls refs from a remote over HTTP(S): commit, signature, image and missing objects, each verified before it is stored; the ref last. */
  pull,
  /** The refs a remote's summary lists: name → checksum. */
  remoteRefs,
  /** Options of `pull`: remote, refs, depth, mirror, dry run, HTTP settings. */
  type PullOptions,
  /** What `pull` did: the refs moved, commits, objects and bytes fetched, HTTP requests and retries. */
  type PullResult,
  /** One ref `pull` moved: name, checksum, previous checksum. */
  type PulledRef,
} from '../pull/pull.js';
