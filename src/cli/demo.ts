/**
 * `cfskit demo [--keep DIR]`: the main job end to end on the embedded sample OS (src/demo/*.tar):
 * commit version 1 into a throwaway sysroot's repo, deploy it, change /etc locally, commit
 * version 2 (a second tar layer), deploy it with the /etc merge, then print status and verify.
 * Every step is a real cfskit command, printed before it runs.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type VerbSpec, parseVerb } from './args.js';
import { run as admin } from './admin.js';
import { run as commit } from './commit.js';
import { run as log } from './log.js';
import { positionals } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'demo',
  synopsis: ['[--keep=DIR]'],
  description: 'Run commit → deploy → /etc change → commit → deploy with merge → status → verify on the\nembedded sample OS, in a throwaway sysroot.',
  options: { keep: { type: 'string', value: 'DIR', help: 'build the sysroot in DIR/sysroot and keep it' } },
};

/** The sample tars, found from src/cli and dist/cli alike. */
const sample = (name: string) => fileURLToPath(new URL(`../../src/demo/${name}`, import.meta.url));

async function step(title: string, command: (args: string[]) => Promise<number>, argv: string[]): Promise<void> {
  process.stdout.write(`${title ? `\n# ${title}\n` : ''}$ cfskit ${argv.join(' ')}\n`);
  const code = await command(argv.slice(1));
  if (code !== 0) throw new Error(`'cfskit ${argv.join(' ')}' exited ${code}`);
}

export async function run(args: string[]): Promise<number> {
  const p = parseVerb(spec, args);
  if (!p) return 0;
  positionals(p, 0);
  const values = p.values as { keep?: string };
  const top = values.keep ?? (await mkdtemp(join(tmpdir(), 'cfskit-demo-')));
  const sysroot = join(top, 'sysroot');
  const repo = join(sysroot, 'ostree', 'repo');
  try {
    await mkdir(sysroot, { recursive: true });
    await step('An empty sysroot with its repo, and a stateroot', admin, ['admin', 'init-fs', sysroot]);
    await step('', admin, ['admin', 'os-init', 'demo', `--sysroot=${sysroot}`]);
    await step('Version 1: the sample rootfs tar → composefs image in cfs/, stub commit', commit,
      ['commit', `--repo=${repo}`, '--branch=demo/stable', '--subject=cfskit demo OS 1', '--version=1', '--timestamp=1700000000', sample('base.tar')]);
    await step('Deploy it', admin, ['admin', 'deploy', `--sysroot=${sysroot}`, '--os=demo', '--karg=root=LABEL=cfsroot', '--karg=console=ttyS0', 'demo/stable']);

    const deployDir = join(sysroot, 'ostree', 'deploy', 'demo', 'deploy');
    const [first] = (await readdir(deployDir)).filter((n) => !n.endsWith('.origin'));
    const settings = join(deployDir, first, 'etc', 'demo.d', 'settings.conf');
    process.stdout.write(`\n# A local change in the deployment's /etc\n$ echo 'color=green' > ${settings}\n`);
    await writeFile(settings, 'color=green\n');

    await step('Version 2: a second tar layer on top of the first', commit,
      ['commit', `--repo=${repo}`, '--branch=demo/stable', '--subject=cfskit demo OS 2', '--version=2', '--timestamp=1700086400', sample('base.tar'), sample('update.tar')]);
    await step('Deploy it: /etc is merged 3-way from the old deployment', admin, ['admin', 'deploy', `--sysroot=${sysroot}`, '--os=demo', 'demo/stable']);
    await step('History', log, ['log', `--repo=${repo}`, 'demo/stable']);
    await step('Deployments', admin, ['admin', 'status', `--sysroot=${sysroot}`]);
    await step('The boot chain, checked offline as prepare-root would walk it', admin, ['admin', 'verify', `--sysroot=${sysroot}`]);

    const [current] = (await readdir(deployDir)).filter((n) => !n.endsWith('.origin') && n !== first);
    const etc = join(deployDir, current, 'etc');
    process.stdout.write('\n# The merged /etc of the new default deployment\n');
    for (const file of ['motd', 'demo.d/settings.conf', 'demo.d/added.conf']) {
      process.stdout.write(`$ cat etc/${file}\n${await readFile(join(etc, file), 'utf8')}`);
    }
    process.stdout.write(`\n${values.keep ? `The sysroot is kept in ${sysroot}.` : 'The throwaway sysroot is removed.'}\n`);
    return 0;
  } finally {
    if (!values.keep) await rm(top, { recursive: true, force: true });
  }
}
