/**
 * `cfskit/sysroot`: composefs deployments in an ostree sysroot. Layout (`init-fs`, `os-init`),
 * deploy, status, rollback, undeploy, pin, kernel arguments, the offline boot-chain check,
 * cleanup, and upgrade from the deployment's origin (an ostree remote or a container registry).
 */
export {
  /** Creates an empty sysroot (`ostree admin init-fs`). */
  initFs,
  /** Creates a stateroot in a sysroot (`ostree admin os-init`). */
  osInit,
  /** Deploys a stub commit's composefs image: deployment dir, /etc merge, initramfs extension, boot entries, then the atomic swap. */
  deploy,
  /** Checks the boot chain offline as prepare-root would (entries, kernel, initramfs, image digest, objects); writes nothing. */
  verify,
  /** Removes what no deployment uses (`ostree admin cleanup`), optionally pruning the repo's `cfs/`. */
  cleanup,
  /** Removes a deployment by index (`ostree admin undeploy`). */
  undeploy,
  /** Makes the rollback deployment the default (`ostree admin rollback`). */
  rollback,
  /** Makes a deployment the default by index. */
  setDefault,
  /** Pins or unpins a deployment so cleanup keeps it. */
  pin,
  /** Edits the default deployment's kernel arguments (append, delete, replace). */
  kargs,
  /** The deployment list with versions, and the text `ostree admin status` prints. */
  status,
} from '../sysroot/index.js';
export type {
  /** Options of `deploy`: sysroot, stateroot, source ref or commit, kernel arguments. */
  DeployOptions,
  /** What `deploy` did: the new deployment, its image digest, directory and /etc merge result. */
  DeployResult,
  /** Options of `verify`. */
  VerifyOptions,
  /** One problem `verify` found: the file, field and reason. */
  VerifyProblem,
  /** What `verify` checked and the problems it found. */
  VerifyReport,
  /** Options of `cleanup`. */
  CleanupOptions,
  /** What `cleanup` removed. */
  CleanupResult,
  /** One kernel-argument edit: append, delete or replace. */
  KargsEdit,
  /** Options shared by the list operations (undeploy, rollback, pin, kargs). */
  OperationOptions,
  /** One deployment of a sysroot: stateroot, checksum, serial, boot entry fields. */
  Deployment,
  /** One row of `status`: a deployment with its role (booted, pending, rollback) and version. */
  DeploymentStatus,
} from '../sysroot/index.js';
export type {
  /** What `status` returns: the deployments and the text `ostree admin status` prints. */
  Status,
} from '../sysroot/status-of.js';
export {
  /** `admin finalize-staged`: at shutdown, redoes the staged deployment's /etc merge and makes it the default. */
  finalizeStaged,
  /** Options of `finalizeStaged`: where the running system is seen from, whether the lock is held. */
  type FinalizeOptions,
  /** What `finalizeStaged` did: the deployment made the default and its /etc merge, or nothing staged. */
  type FinalizeResult,
} from '../sysroot/finalize.js';
export {
  /** True when the sysroot is the running root and prepare-root's `/run/ostree-booted` marker exists. */
  isBootedSysroot,
  /** Where the running system is seen from (root, `/run`, the kernel command line); tests point it at a fake root. */
  type BootedEnv,
} from '../sysroot/booted.js';
export {
  /** Runs a function holding the sysroot lock (what every deployment change takes). */
  withSysrootLock,
} from '../sysroot/lock.js';
export {
  /** `admin upgrade`/`switch`: pulls what the default deployment's origin follows and deploys it when it changed. */
  upgrade,
  /** Options of `upgrade`: sysroot, stateroot, a new origin to switch to, pull-only or deploy-only. */
  type UpgradeOptions,
  /** What `upgrade` did: the commit before and after, the deployment written when it changed, objects fetched. */
  type UpgradeResult,
} from '../upgrade/upgrade.js';
export {
  /** Pulls a docker:// image, commits it and deploys it (`admin deploy docker://`). */
  deployFromRegistry,
  /** Options of `deployFromRegistry`: the reference, registry options and those of `deploy`. */
  type RegistryDeployOptions,
  /** What `deployFromRegistry` did: `deploy`'s result and the image's provenance. */
  type RegistryDeployResult,
} from '../upgrade/registry-deploy.js';
