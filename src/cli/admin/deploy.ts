/**
 * `cfskit admin deploy --sysroot DIR --os STATEROOT REF|COMMIT|IMAGE [--karg K=V]... [--karg-append K=V]...
 * [--retain] [--not-as-default] [--no-merge] [--verity]`: a composefs deployment (src/sysroot/deploy.ts),
 * then a cleanup as ostree admin deploy does (spec ostree.md §3.9).
 */
import { deploy } from '../../sysroot/deploy.js';
import { cleanupLocked } from '../../sysroot/cleanup.js';
import { nodeFs } from '../../io/fs.js';
import { withSysrootLock } from '../../sysroot/lock.js';
import { CfsError } from '../../errors.js';
import { deployFromRegistry } from '../../upgrade/registry-deploy.js';
import { isDockerReference } from '../../registry/reference.js';
import type { VerbSpec } from '../args.js';
import { withActivity } from '../progress.js';
import { parseCommand, positionals } from '../repo-args.js';
import { registryOptions } from '../registry-args.js';
import { REGISTRY_OPTIONS } from '../registry-options.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin deploy',
  synopsis: ['[--sysroot=DIR] --os=STATEROOT [OPTIONS] REF|COMMIT|IMAGE|docker://HOST/NAME[:TAG]'],
  description: `Deploy a composefs image into STATEROOT and make it the default boot entry, merging /etc
from the current deployment, then clean up as ostree admin deploy does. The source is a ref or
stub commit of the sysroot's repository, or IMAGE: the hex fs-verity digest of an image in the
repository's cfs/images store. A docker:// reference is pulled, committed and deployed; the
deployment then follows it (origin container-image-reference).`,
  options: {
    ...SYSROOT_OPTION,
    os: { type: 'string', value: 'STATEROOT', help: 'the stateroot to deploy into (required; see admin os-init)' },
    karg: { type: 'string', multiple: true, value: 'K=V', help: "kernel argument replacing every value of K (kargs start from the\nmerge deployment's)" },
    'karg-append': { type: 'string', multiple: true, value: 'K=V', help: 'kernel argument appended as is' },
    retain: { type: 'boolean', help: 'keep every current deployment of the stateroot (default: the pinned,\nbooted and rollback ones only)' },
    'not-as-default': { type: 'boolean', help: 'insert after the booted deployment instead of first (the default entry)' },
    'no-merge': { type: 'boolean', help: "start /etc from the image's defaults only and ignore the merge\ndeployment's kernel arguments" },
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
    stage: { type: 'boolean', help: 'write the deployment now but make it the default only at shutdown\n(admin finalize-staged, run by cfskit-finalize-staged.service), merging /etc\nas it is then; needs a booted system' },
    verity: { type: 'boolean', help: 'require fs-verity on the image at boot (composefs=verity: a digest mismatch\nor a file system without verity refuses to boot)' },
    ...REGISTRY_OPTIONS,
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [source] = positionals(p, 1);
  const sysroot = sysrootOption(p);
  const stateroot = p.values.os;
  if (typeof stateroot !== 'string' || stateroot === '') throw new CfsError('--os is required', { code: 'EUSAGE' });
  const quiet = p.values.quiet === true;
  const options = {
    sysroot, stateroot,
    kargs: p.values.karg as string[] | undefined,
    kargsAppend: p.values['karg-append'] as string[] | undefined,
    retain: p.values.retain === true,
    notAsDefault: p.values['not-as-default'] === true,
    noMerge: p.values['no-merge'] === true,
    composefs: p.values.verity ? 'verity' as const : 'yes' as const,
    stage: p.values.stage === true,
  };
  const r = isDockerReference(source)
    ? await deployFromRegistry({ ...options, reference: source, registry: registryOptions((name) => p.values[name] as string | undefined, quiet) })
    : await withActivity('Deploying', () => withSysrootLock(sysroot, async () => {
      const result = await deploy({ ...options, source, locked: true });
      cleanupLocked(sysroot, nodeFs);
      return result;
    }, { onWait: (holder) => process.stderr.write(`Waiting for the sysroot lock (held by ${holder})\n`) }), { quiet });
  const { modified, removed, added } = r.etc;
  process.stdout.write(`Copying /etc changes: ${modified.length} modified, ${removed.length} removed, ${added.length} added\n`);
  process.stdout.write(`${options.stage ? 'Staged' : 'Deployed'} ${r.dir} (composefs=${r.digest})\n`);
  return 0;
}
