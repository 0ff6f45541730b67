/**
 * `cfskit admin cleanup [--sysroot DIR] [--no-prune]` = `ostree admin cleanup` (spec ostree.md §7):
 * unreferenced bootversions, deployments, kernels, overlays and stateroot images, then the cfs
 * store GC with the deployments as roots.
 */
import { cleanup } from '../../sysroot/cleanup.js';
import type { VerbSpec } from '../args.js';
import { withActivity } from '../progress.js';
import { pruneBlobCache } from '../../registry/cache-prune.js';
import { parseCommand, positionals } from '../repo-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin cleanup',
  synopsis: ['[--sysroot=DIR] [--no-prune]'],
  description: 'Delete the boot versions, deployments, kernels and images no deployment references, then\ncollect the cfs store with the deployments as roots (as ostree admin cleanup).',
  options: {
    ...SYSROOT_OPTION,
    'no-prune': { type: 'boolean', help: 'keep the cfs store as it is (no collection)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const sysroot = sysrootOption(p);
  const r = await withActivity('Cleaning up', () => cleanup(sysroot, { prune: p.values['no-prune'] !== true, pruneHooks: [pruneBlobCache] }), { quiet: p.values.quiet === true });
  for (const path of r.removed) process.stdout.write(`removed ${path}\n`);
  if (r.pruned) process.stdout.write(`Pruned ${r.pruned.commits} stub commits, ${r.pruned.images} images, ${r.pruned.objects} objects (${r.pruned.bytes} bytes)\n`);
  return 0;
}
