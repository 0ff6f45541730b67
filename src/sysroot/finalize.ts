/**
 * `finalize-staged` (what ostree-finalize-staged.service runs at shutdown, spec ostree.md §3.9):
 * the staged deployment's /etc is merged again from the merge deployment's /etc as it is now,
 * then the deployment becomes the default (ostree's simple write) and a cleanup follows. The state
 * file is removed first: an interrupted finalization is not retried, the old default stays.
 */
import { CfsError } from '../errors.js';
import { type Fs, WriteLog, nodeFs, removeIfExists, removeTree } from '../io/fs.js';
import { type BootedEnv, HOST_ENV } from './booted.js';
import { cleanupLocked } from './cleanup.js';
import { mergeEtcDefaults } from './deploy.js';
import { type Deployment, deploymentPath, listWithNewDeployment, loadSysroot } from './deployments.js';
import { type EtcMergeResult, buildDeploymentEtc } from './etc/etc-merge.js';
import { ETC_ATTRS_NAME } from './etc/etc-attrs.js';
import { deployName } from './layout.js';
import { withSysrootLock } from './lock.js';
import { STAGED_LOCKED_FILE, readStagedState, stagedPath } from './staged.js';
import { writeDeployments } from './boot/swap.js';

export interface FinalizeOptions {
  fs?: Fs;
  env?: BootedEnv;
  /** The caller holds the sysroot lock already. */
  locked?: boolean;
}

export interface FinalizeResult {
  /** The deployment made the default; undefined when nothing was staged or finalization is locked. */
  finalized?: Deployment;
  etc?: EtcMergeResult;
  /** `/run/ostree/staged-deployment-locked` exists: nothing was done. */
  locked?: boolean;
}

export async function finalizeStaged(sysroot: string, o: FinalizeOptions = {}): Promise<FinalizeResult> {
  const run = (): FinalizeResult => {
    const written = new WriteLog(o.fs ?? nodeFs);
    const f = written.fs;
    const env = o.env ?? HOST_ENV;
    const recorded = readStagedState(sysroot, env, f);
    if (!recorded) return {};
    if (f.lstat(`${env.run}/${STAGED_LOCKED_FILE}`)) return { locked: true };
    const state = loadSysroot(sysroot, f, env);
    const rest = state.deployments.filter((d) => !d.staged);
    const m = recorded.merge;
    const merge = m ? rest.find((d) => d.stateroot === m.stateroot && d.csum === m.csum && d.deployserial === m.deployserial) : undefined;
    if (m && !merge) throw new CfsError(`Failed to find merge deployment ${deployName(m)} for staged`, { file: stagedPath(env), code: 'ESYSROOT' });
    f.unlink(stagedPath(env));
    const staged = recorded.deployment;
    const dir = deploymentPath(sysroot, staged);
    removeTree(f, `${dir}/etc`);
    removeIfExists(f, `${dir}/${ETC_ATTRS_NAME}`);
    const etc = buildDeploymentEtc({
      newDefaults: mergeEtcDefaults(sysroot, staged),
      deployDir: dir,
      merge: merge ? { oldDefaults: mergeEtcDefaults(sysroot, merge), deployDir: deploymentPath(sysroot, merge) } : undefined,
      fs: f,
    });
    written.sync();
    const finalized: Deployment = { ...staged, staged: false };
    writeDeployments(sysroot, listWithNewDeployment({ ...state, deployments: rest }, finalized), { fs: f, env });
    cleanupLocked(sysroot, f, env);
    return { finalized, etc };
  };
  return o.locked ? run() : withSysrootLock(sysroot, run);
}
