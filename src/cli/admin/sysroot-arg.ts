/** The `--sysroot DIR` option of admin subcommands (default `/`, as ostree). */
import type { Parsed } from '../repo-args.js';

export const SYSROOT_OPTION = { sysroot: { type: 'string' as const } };

export function sysrootOption(p: Parsed): string {
  const v = p.values.sysroot;
  const dir = typeof v === 'string' && v !== '' ? v : '/';
  return dir.replace(/(.)\/+$/, '$1');
}
