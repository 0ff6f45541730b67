/**
 * `cfskit admin SUBCOMMAND`: sysroot operations, one module per subcommand in ./admin/ (spec
 * ostree.md §3). Each module exports `run(args)` like a top-level command.
 */
import type { CommandTable } from './command-table.js';
import { dispatch, groupUsage } from './verbs.js';

export const subcommands: CommandTable = {
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
  'finalize-staged': { summary: 'make the staged deployment the default (at shutdown)', load: () => import('./admin/finalize-staged.js') },
  verify: { summary: 'check the boot chain offline as a prepare-root would walk it', load: () => import('./admin/verify.js') },
};

const group = { prefix: 'cfskit admin', table: subcommands, usage: () => groupUsage('cfskit admin', subcommands) };

export const run = (args: string[]): Promise<number> => dispatch(group, args);
