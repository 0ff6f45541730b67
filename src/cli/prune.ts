/** `cfskit prune --repo R [--depth=N] [--dry-run]`: delete unreachable stub commits, images and cfs objects. */
import { CfsError } from '../errors.js';
import { prune } from '../cfs/prune.js';
import { withRepoLock } from '../ostree/lock.js';
import { autoUpdateSummary } from '../ostree/summary.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit prune --repo=PATH [--depth=N] [--dry-run]\n  --depth=N  parents kept behind each ref (default -1: all history)\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, depth: { type: 'string' }, 'dry-run': { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const depth = p.values.depth === undefined ? -1 : Number(p.values.depth);
  if (!Number.isInteger(depth) || depth < -1) throw new CfsError(`--depth needs an integer >= -1\n${USAGE}`, { code: 'EUSAGE' });
  const dryRun = p.values['dry-run'] === true;
  const repo = repoOption(p, USAGE);
  const r = await prune(repo, { depth, dryRun });
  if (!dryRun) await withRepoLock(repo, () => autoUpdateSummary(repo));
  process.stdout.write(`${dryRun ? 'Would delete' : 'Deleted'} ${r.commits} commits, ${r.images} images, ${r.objects} objects, ${r.bytes} bytes\n`);
  return 0;
}
