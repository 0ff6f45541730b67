/**
 * `cfskit admin upgrade [--sysroot=DIR] [--os=STATEROOT] [--pull-only] [--deploy-only]`: pull the
 * default deployment's origin (an ostree remote's ref or a docker:// image) and deploy it (with
 * the /etc merge) when the commit changed; "No update available." otherwise, as `ostree admin
 * upgrade` (src/upgrade/).
 */
import { CfsError } from '../../errors.js';
import { upgrade, type UpgradeResult } from '../../upgrade/upgrade.js';
import type { VerbSpec } from '../args.js';
import { createProgress } from '../progress.js';
import { parseCommand, positionals } from '../repo-args.js';
import { registryOptions } from '../registry-args.js';
import { REGISTRY_OPTIONS } from '../registry-options.js';
import { SYSROOT_OPTION, sysrootOption } from './sysroot-arg.js';

export const spec: VerbSpec = {
  name: 'admin upgrade',
  synopsis: ['[--sysroot=DIR] [--os=STATEROOT] [--pull-only|--deploy-only] [--stage]'],
  description: `Pull the origin of the default deployment of STATEROOT and deploy it, merging /etc, when its
commit changed; print "No update available." otherwise, as ostree admin upgrade does. A
deployment made from docker://HOST/NAME[:TAG] asks the registry and pulls only a changed manifest.`,
  options: {
    ...SYSROOT_OPTION,
    os: { type: 'string', value: 'STATEROOT', help: "the stateroot (default: the booted deployment's, else the default one's)" },
    'pull-only': { type: 'boolean', help: 'fetch the update into the repository, deploy nothing' },
    'deploy-only': { type: 'boolean', help: 'deploy what the repository holds, fetch nothing' },
    stage: { type: 'boolean', help: 'stage the new deployment: it becomes the default at shutdown\n(admin finalize-staged), with /etc merged as it is then' },
    ...REGISTRY_OPTIONS,
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  if (p.values['pull-only'] && p.values['deploy-only']) throw new CfsError('Cannot simultaneously specify --pull-only and --deploy-only', { code: 'EUSAGE' });
  const registry = registryOptions((name) => p.values[name] as string | undefined);
  const progress = createProgress();
  let r: UpgradeResult;
  try {
    r = await upgrade({
      sysroot: sysrootOption(p), os: p.values.os as string | undefined, pullOnly: p.values['pull-only'] === true,
      deployOnly: p.values['deploy-only'] === true, stage: p.values.stage === true, registry, progress, onWait: waiting,
    });
  } finally {
    progress?.stop();
    registry.pullProgress?.stop();
  }
  report(r, p.values['pull-only'] === true, p.values.stage === true);
  return 0;
}

export function waiting(holder: string): void {
  process.stderr.write(`Waiting for the sysroot lock (held by ${holder})\n`);
}

export function report(r: UpgradeResult, pullOnly: boolean, staged = false): void {
  if (r.deployed) {
    const { modified, removed, added } = r.deployed.etc;
    process.stdout.write(`Copying /etc changes: ${modified.length} modified, ${removed.length} removed, ${added.length} added\n`);
    process.stdout.write(`${staged ? 'Staged' : 'Deployed'} ${r.deployed.dir} (composefs=${r.deployed.digest})\n`);
  } else if (pullOnly) process.stdout.write(r.checksum === r.previous ? 'No update available.\n' : `Pulled ${r.checksum}\n`);
  else process.stdout.write('No update available.\n');
}
