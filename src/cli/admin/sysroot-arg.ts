/** The `--sysroot DIR` option of admin subcommands (default `/`, as ostree). */
import { statSync } from 'node:fs';
import { CfsError } from '../../errors.js';
import type { Parsed } from '../repo-args.js';

export const SYSROOT_OPTION = { sysroot: { type: 'string' as const, value: 'DIR', help: 'the sysroot (default /)' } };

export function sysrootOption(p: Parsed): string {
  const v = p.values.sysroot;
  const dir = typeof v === 'string' && v !== '' ? v : '/';
  const sysroot = dir.replace(/(.)\/+$/, '$1');
  // Checked before any lock file is created under it (admin init-fs makes ostree/repo).
  if (!statSync(`${sysroot}/ostree/repo`, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CfsError('not an ostree sysroot (no ostree/repo; run admin init-fs first)', { file: sysroot, code: 'ESYSROOT' });
  }
  return sysroot;
}
