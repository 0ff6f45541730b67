/** `cfskit admin init-fs DIR` = `ostree admin init-fs` (spec ostree.md §3.1). */
import { initFs } from '../../sysroot/layout.js';
import { parseCommand, positionals } from '../repo-args.js';

const USAGE = 'Usage: cfskit admin init-fs DIR\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, {}, USAGE);
  if (!p) return 0;
  const [dir] = positionals(p, 1, USAGE);
  initFs(dir);
  return 0;
}
