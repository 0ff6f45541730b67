/**
 * `ostree admin status` output (2022.7 `ot-admin-builtin-status.c`, ostree.md §3.8) and a JSON form.
 */
import { type Deployment, type SysrootState, deploymentPinned, pendingAndRollback, sameDeployment } from './deployments.js';
import { deployName } from './layout.js';

/** What status shows from a deployment's commit: `version` and `ostree.source-title` metadata. */
export interface CommitInfo {
  version?: string;
  sourceTitle?: string;
}

/** Returns the commit's info, or undefined when the commit cannot be loaded (then nothing is shown). */
export type CommitLookup = (csum: string) => CommitInfo | undefined;

export interface DeploymentStatus {
  index: number;
  stateroot: string;
  checksum: string;
  deployserial: number;
  booted: boolean;
  staged: boolean;
  pending: boolean;
  rollback: boolean;
  pinned: boolean;
  unlocked: string;
  version?: string;
  origin: { refspec?: string } | null;
  sourceTitle?: string;
  bootcsum: string;
  bootserial: number;
  options?: string;
}

export function deploymentStatuses(state: SysrootState, lookup: CommitLookup): DeploymentStatus[] {
  const { pending, rollback } = pendingAndRollback(state);
  const is = (d: Deployment, other?: Deployment) => other !== undefined && sameDeployment(d, other);
  return state.deployments.map((d, index) => {
    const info = lookup(d.csum) ?? {};
    return {
      index,
      stateroot: d.stateroot,
      checksum: d.csum,
      deployserial: d.deployserial,
      booted: is(d, state.booted),
      staged: d.staged === true,
      pending: is(d, pending),
      rollback: is(d, rollback),
      pinned: deploymentPinned(d),
      unlocked: d.unlocked,
      version: info.version,
      origin: d.origin ? { refspec: originRefspec(d) } : null,
      sourceTitle: info.sourceTitle,
      bootcsum: d.bootcsum,
      bootserial: d.bootserial,
      options: d.entry.options,
    };
  });
}

function originRefspec(d: Deployment): string | undefined {
  try {
    return d.origin?.getString('origin', 'refspec');
  } catch {
    return undefined;
  }
}

/** The text ostree prints, line for line. */
export function formatStatus(state: SysrootState, lookup: CommitLookup): string {
  const list = deploymentStatuses(state, lookup);
  if (list.length === 0) return 'No deployments.\n';
  let out = '';
  for (const s of list) {
    const mark = s.staged ? ' (staged)' : s.pending ? ' (pending)' : s.rollback ? ' (rollback)' : '';
    out += `${s.booted ? '*' : ' '} ${s.stateroot} ${deployName({ csum: s.checksum, deployserial: s.deployserial })}${mark}\n`;
    if (s.version !== undefined) out += `    Version: ${s.version}\n`;
    if (s.unlocked !== 'none') out += `    Unlocked: ${s.unlocked}\n`;
    if (s.pinned) out += '    Pinned: yes\n';
    if (!s.origin) out += '    origin: none\n';
    else {
      out += s.origin.refspec === undefined ? '    origin: <unknown origin type>\n' : `    origin refspec: ${s.origin.refspec}\n`;
      if (s.sourceTitle !== undefined) out += `    \`- ${s.sourceTitle}\n`;
    }
  }
  return out;
}
