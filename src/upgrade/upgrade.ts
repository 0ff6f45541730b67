/**
 * `admin upgrade` and `admin switch`: follow a deployment's origin to a new commit and deploy it
 * (with the /etc merge) only when the commit changed, as ostree does. Under the sysroot lock: the
 * merge deployment of the stateroot → its origin's source → the puller of that kind → the
 * commit it resolves to → deploy + cleanup, unless that is the merge deployment's commit.
 */
import { CfsError } from '../errors.js';
import { resolveRev } from '../ostree/commit.js';
import { parseRefspec } from '../ostree/refs.js';
import { openRepo } from '../ostree/repo.js';
import { cleanupLocked } from '../sysroot/cleanup.js';
import { deploy, type DeployResult } from '../sysroot/deploy.js';
import { loadSysroot, mergeDeployment, type Deployment } from '../sysroot/deployments.js';
import { nodeFs } from '../io/fs.js';
import { paths } from '../sysroot/layout.js';
import { withSysrootLock } from '../sysroot/lock.js';
import { originSource, type OriginSourceKey } from '../sysroot/origin.js';
import { isDockerReference } from '../registry/reference.js';
import { pullerFor, type PullerOptions } from './pullers.js';

export interface UpgradeOptions extends Omit<PullerOptions, 'offline' | 'current' | 'originFile'> {
  sysroot: string;
  /** Stateroot (default: the booted one, else the default deployment's). */
  os?: string;
  pullOnly?: boolean;
  deployOnly?: boolean;
  /** admin switch: follow this source instead (a docker:// reference, or a refspec: a bare REF keeps the current remote). */
  switchTo?: string;
  /** Stage the new deployment (finalized at shutdown, src/sysroot/staged.ts). */
  stage?: boolean;
  onWait?: (holder: string) => void;
}

export interface UpgradeResult {
  /** The commit the source resolves to. */
  checksum: string;
  /** The merge deployment's commit before. */
  previous: string;
  /** Set when a new deployment was written. */
  deployed?: DeployResult;
  fetched: number;
}

export async function upgrade(o: UpgradeOptions): Promise<UpgradeResult> {
  return withSysrootLock(o.sysroot, async () => {
    const state = loadSysroot(o.sysroot);
    const stateroot = o.os ?? state.booted?.stateroot ?? state.deployments[0]?.stateroot;
    const merge: Deployment | undefined = stateroot === undefined ? undefined : mergeDeployment(state, stateroot);
    if (!merge || !stateroot) throw new CfsError(`no deployment${o.os ? ` of stateroot '${o.os}'` : ''} to upgrade`, { file: o.sysroot, code: 'EUPGRADE' });
    const originFile = paths.origin(o.sysroot, stateroot, merge);
    let source: { kind: OriginSourceKey; value: string } | undefined = originSource(merge.origin);
    if (o.switchTo !== undefined) {
      source = isDockerReference(o.switchTo) ? { kind: 'container-image-reference', value: o.switchTo } : { kind: 'refspec', value: switchRefspec(o.switchTo, source) };
    }
    if (!source) throw new CfsError('origin names no source to upgrade from (no refspec)', { file: originFile, field: 'origin', code: 'EORIGIN' });
    const repo = openRepo(paths.repo(o.sysroot));
    const { rev, fetched, origin } = await pullerFor(source.kind, originFile)(repo, source.value, { ...o, offline: o.deployOnly, current: merge.csum, originFile });
    const checksum = resolveRev(repo, rev);
    const result: UpgradeResult = { checksum, previous: merge.csum, fetched };
    if (o.pullOnly || (checksum === merge.csum && o.switchTo === undefined)) return result;
    result.deployed = await deploy({ sysroot: o.sysroot, stateroot, source: rev, origin, locked: true, stage: o.stage });
    cleanupLocked(o.sysroot, nodeFs);
    return result;
  }, { onWait: o.onWait });
}

/** `admin switch REF` keeps the current refspec's remote; `REMOTE:REF` replaces both. */
function switchRefspec(target: string, current: { kind: OriginSourceKey; value: string } | undefined): string {
  const { remote, name } = parseRefspec(target);
  if (remote !== null || current?.kind !== 'refspec') return target;
  const was = parseRefspec(current.value).remote;
  return was === null ? name : `${was}:${name}`;
}
