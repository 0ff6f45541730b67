/**
 * `cfskit admin deploy --sysroot DIR --os STATEROOT REF|COMMIT|IMAGE [--karg K=V]... [--karg-append K=V]...
 * [--retain] [--not-as-default] [--no-merge] [--verity]`: a composefs deployment (src/sysroot/deploy.ts),
 * then a cleanup as ostree admin deploy does (spec ostree.md §3.9).
 */
import { deploy } from '../../sysroot/deploy.js';
import { cleanupLocked } from '../../sysroot/cleanup.js';
import { nodeFs } from '../../sysroot/fs.js';
import { withSysrootLock } from '../../sysroot/lock.js';
import { CfsError } from '../../errors.js';
import { deployFromRegistry } from '../../registry/deploy.js';
import { isDockerReference } from '../../registry/reference.js';
import { parseCommand, positionals } from '../repo-args.js';
import { REGISTRY_OPTIONS, registryOptions } from '../registry-args.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

const USAGE = `Usage: cfskit admin deploy [--sysroot=DIR] --os=STATEROOT [--karg=K=V]... [--karg-append=K=V]...
       [--retain] [--not-as-default] [--no-merge] [--verity] REF|COMMIT|IMAGE
       ... [--tls-verify=BOOL] [--authfile=FILE] [--creds=USER:PASS] [--platform=OS/ARCH] docker://HOST/NAME[:TAG]
A docker:// reference is pulled, committed and deployed; the deployment then follows it
(origin container-image-reference).
`;

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, {
    ...SYSROOT_OPTION,
    os: { type: 'string' },
    karg: { type: 'string', multiple: true },
    'karg-append': { type: 'string', multiple: true },
    retain: { type: 'boolean' },
    'not-as-default': { type: 'boolean' },
    'no-merge': { type: 'boolean' },
    verity: { type: 'boolean' },
    ...REGISTRY_OPTIONS,
  }, USAGE);
  if (!p) return 0;
  const [source] = positionals(p, 1, USAGE);
  const sysroot = sysrootOption(p);
  const stateroot = p.values.os;
  if (typeof stateroot !== 'string' || stateroot === '') throw new CfsError(`--os is required\n${USAGE}`, { code: 'EUSAGE' });
  const options = {
    sysroot, stateroot,
    kargs: p.values.karg as string[] | undefined,
    kargsAppend: p.values['karg-append'] as string[] | undefined,
    retain: p.values.retain === true,
    notAsDefault: p.values['not-as-default'] === true,
    noMerge: p.values['no-merge'] === true,
    composefs: p.values.verity ? 'verity' as const : 'yes' as const,
  };
  const r = isDockerReference(source)
    ? await deployFromRegistry({ ...options, reference: source, registry: registryOptions((name) => p.values[name] as string | undefined) })
    : await withSysrootLock(sysroot, async () => {
      const result = await deploy({ ...options, source, locked: true });
      cleanupLocked(sysroot, nodeFs);
      return result;
    }, { onWait: (holder) => process.stderr.write(`Waiting for the sysroot lock (held by ${holder})\n`) });
  const { modified, removed, added } = r.etc;
  process.stdout.write(`Copying /etc changes: ${modified.length} modified, ${removed.length} removed, ${added.length} added\n`);
  process.stdout.write(`Deployed ${r.dir} (composefs=${r.digest})\n`);
  return 0;
}
