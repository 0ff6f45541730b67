/**
 * `cfskit admin switch [--sysroot=DIR] [--os=STATEROOT] [REMOTE:]REF|docker://…`: pull REF (or the
 * image) and deploy it with an origin following it (a bare REF keeps the current remote), as
 * `ostree admin switch`.
 */
import { upgrade } from '../../upgrade/upgrade.js';
import type { VerbSpec } from '../args.js';
import { createProgress } from '../progress.js';
import { parseCommand, positionals } from '../repo-args.js';
import { registryOptions } from '../registry-args.js';
import { REGISTRY_OPTIONS } from '../registry-options.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';
import { report, waiting } from './upgrade.js';

export const spec: VerbSpec = {
  name: 'admin switch',
  synopsis: ['[--sysroot=DIR] [--os=STATEROOT] [REMOTE:]REF', '[--sysroot=DIR] [--os=STATEROOT] [REGISTRY OPTIONS] docker://HOST/NAME[:TAG|@DIGEST]'],
  description: `Pull REF and deploy it, merging /etc, with an origin that follows REF from now on, as ostree
admin switch does. A bare REF keeps the current origin's remote; a docker:// reference is pulled
from its registry and followed from then on.`,
  options: {
    ...SYSROOT_OPTION,
    os: { type: 'string', value: 'STATEROOT', help: "the stateroot (default: the booted deployment's, else the default one's)" },
    ...REGISTRY_OPTIONS,
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [target] = positionals(p, 1);
  const registry = registryOptions((name) => p.values[name] as string | undefined);
  const progress = createProgress();
  try {
    report(await upgrade({ sysroot: sysrootOption(p), os: p.values.os as string | undefined, switchTo: target, registry, progress, onWait: waiting }), false);
  } finally {
    progress?.stop();
    registry.pullProgress?.stop();
  }
  return 0;
}
