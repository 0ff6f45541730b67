/** `status(sysroot)`: the deployment list with what the repo's commits say (spec ostree.md §3.8). */
import { readCommit } from '../ostree/commit.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { commitString } from './cfs-image.js';
import { loadSysroot } from './deployments.js';
import { type Fs, nodeFs } from '../io/fs.js';
import { paths } from './layout.js';
import type { BootedEnv } from './booted.js';
import { type CommitLookup, type DeploymentStatus, deploymentStatuses, formatStatus } from './status.js';

/** `version` and `ostree.source-title` of a commit; like ostree, an unloadable commit shows nothing. */
export function repoCommitLookup(repo: Repo): CommitLookup {
  return (csum) => {
    try {
      const { commit } = readCommit(repo, csum);
      return { version: commitString(commit, 'version'), sourceTitle: commitString(commit, 'ostree.source-title') };
    } catch {
      return undefined;
    }
  };
}

export interface Status {
  deployments: DeploymentStatus[];
  /** What `ostree admin status` prints. */
  text: string;
}

export function status(sysroot: string, f: Fs = nodeFs, env?: BootedEnv): Status {
  const state = loadSysroot(sysroot, f, env);
  const lookup = repoCommitLookup(openRepo(paths.repo(sysroot)));
  return { deployments: deploymentStatuses(state, lookup), text: formatStatus(state, lookup) };
}
