/**
 * `cfskit admin status [--json] --sysroot DIR`: the deployment list in `ostree admin status`'s
 * text layout (spec ostree.md §3.8), or as JSON.
 */
import { readCommit } from '../../ostree/commit.js';
import { lookup } from '../../ostree/gvariant.js';
import { openRepo } from '../../ostree/repo.js';
import { loadSysroot } from '../../sysroot/deployments.js';
import { paths } from '../../sysroot/layout.js';
import { type CommitLookup, deploymentStatuses, formatStatus } from '../../sysroot/status.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = 'Usage: cfskit admin status [--json] [--sysroot=DIR]\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { ...SYSROOT_OPTION, json: { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const sysroot = sysrootOption(p);
  const state = loadSysroot(sysroot);
  const repo = openRepo(paths.repo(sysroot));
  // Like ostree, a commit that cannot be loaded only hides its Version line.
  const commitInfo: CommitLookup = (csum) => {
    try {
      const { metadata } = readCommit(repo, csum).commit;
      const str = (key: string) => {
        const v = lookup(metadata, key);
        return v?.type === 's' ? (v.value as string) : undefined;
      };
      return { version: str('version'), sourceTitle: str('ostree.source-title') };
    } catch {
      return undefined;
    }
  };
  if (p.values.json) process.stdout.write(`${JSON.stringify(deploymentStatuses(state, commitInfo), null, 2)}\n`);
  else process.stdout.write(formatStatus(state, commitInfo));
  return 0;
}
