/** `cfskit prune --repo R [--depth=N] [--dry-run]`: delete unreachable stub commits, images and cfs objects. */
import { CfsError } from '../errors.js';
import { prune } from '../cfs/prune.js';
import { pruneBlobCache } from '../registry/cache-prune.js';
import type { VerbSpec } from './args.js';
import { withActivity } from './progress.js';
import { withRepoLock } from '../ostree/lock.js';
import { autoUpdateSummary } from '../ostree/summary.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'prune',
  synopsis: ['--repo=PATH [--depth=N] [--dry-run]'],
  description: 'Delete the stub commits no ref reaches, then the images and cfs objects no kept commit names,\nand the registry blobs (cfs/oci/) of no kept commit.',
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    depth: { type: 'string', value: 'N', help: 'parents kept behind each ref (default -1: all history)' },
    'dry-run': { type: 'boolean', help: 'only print what would be deleted' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const depth = p.values.depth === undefined ? -1 : Number(p.values.depth);
  if (!Number.isInteger(depth) || depth < -1) throw new CfsError(`--depth needs an integer >= -1, got '${p.values.depth}'`, { code: 'EUSAGE' });
  const dryRun = p.values['dry-run'] === true;
  const repo = repoOption(p);
  const r = await withActivity('Pruning', () => prune(repo, { depth, dryRun, hooks: [pruneBlobCache] }), { quiet: p.values.quiet === true });
  if (!dryRun) await withRepoLock(repo, () => autoUpdateSummary(repo));
  process.stdout.write(`${dryRun ? 'Would delete' : 'Deleted'} ${r.commits} commits, ${r.images} images, ${r.objects} objects, ${r.bytes} bytes\n`);
  return 0;
}
