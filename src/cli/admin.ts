/**
 * `cfskit admin SUBCOMMAND`: sysroot operations, one module per subcommand in ./admin/ (spec
 * ostree.md §3). Each module exports `run(args)` like a top-level command.
 */
import { CfsError } from '../errors.js';
import { type CommandTable, commandList } from './command-table.js';

const subcommands: CommandTable = {
  'init-fs': { summary: 'create an empty sysroot skeleton in DIR', load: () => import('./admin/init-fs.js') },
  'os-init': { summary: 'create a stateroot (its shared /var)', load: () => import('./admin/os-init.js') },
  status: { summary: 'list deployments as ostree admin status does', load: () => import('./admin/status.js') },
  deploy: { summary: 'deploy a composefs image (REF|COMMIT|IMAGE) into a stateroot', load: () => import('./admin/deploy.js') },
  undeploy: { summary: 'remove the deployment at INDEX', load: () => import('./admin/undeploy.js') },
  rollback: { summary: 'make the rollback deployment the default', load: () => import('./admin/rollback.js') },
  pin: { summary: 'keep the deployment at INDEX across deploys', load: () => import('./admin/pin.js') },
  unpin: { summary: 'undo pin INDEX', load: () => import('./admin/unpin.js') },
  kargs: { summary: 'edit a deployment\'s kernel arguments (new boot version)', load: () => import('./admin/kargs.js') },
  cleanup: { summary: 'delete what no deployment references, then GC the cfs store', load: () => import('./admin/cleanup.js') },
  upgrade: { summary: 'pull the default deployment\'s origin and deploy it if it changed', load: () => import('./admin/upgrade.js') },
  switch: { summary: 'pull [REMOTE:]REF and deploy it, following it from now on', load: () => import('./admin/switch.js') },
  verify: { summary: 'check the boot chain offline as a prepare-root would walk it', load: () => import('./admin/verify.js') },
};

function usage(): string {
  return `Usage: cfskit admin SUBCOMMAND [ARGS...]\n\nSubcommands:\n${commandList(subcommands)}\n`;
}

export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 1;
  }
  const sub = subcommands[name];
  if (!sub) throw new CfsError(`unknown admin subcommand '${name}'\n${usage()}`, { code: 'EUSAGE' });
  return (await sub.load()).run(rest);
}
