/** The sysroot library API: composefs deployments in an ostree sysroot (spec ostree.md §3–§7). */
export { deploy, type DeployOptions, type DeployResult } from './deploy.js';
export { verify, type VerifyOptions, type VerifyProblem, type VerifyReport } from './verify.js';
export { cleanup, type CleanupOptions, type CleanupResult } from './cleanup.js';
export { undeploy, rollback, setDefault, pin, kargs, type KargsEdit, type OperationOptions } from './operations.js';
export { initFs, osInit } from './layout.js';
export { loadSysroot, type Deployment, type SysrootState } from './deployments.js';
export { deploymentStatuses, formatStatus, type DeploymentStatus } from './status.js';
export { status } from './status-of.js';
export { findBooted, isBootedSysroot, readBootedMarker, HOST_ENV, type BootedEnv } from './booted.js';
