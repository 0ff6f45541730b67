#!/usr/bin/env node
/**
 * `cfskit` entry point: dispatches to one module per command. Each command module exports
 * `run(args: string[]): Promise<number>` returning the exit status; modules load lazily so a
 * command pays only for what it uses.
 */
import { CfsError } from '../errors.js';
import { subcommands as adminCommands } from './admin.js';
import { type CommandTable, commandList } from './command-table.js';
import { dispatch, groupUsage } from './verbs.js';

export const commands: CommandTable = {
  init: { summary: 'create an ostree repository', load: () => import('./init.js') },
  log: { summary: 'show a commit and its history', load: () => import('./log.js') },
  show: { summary: 'show a commit or one of its metadata keys', load: () => import('./show.js') },
  refs: { summary: 'list the refs of a repository', load: () => import('./refs.js') },
  commit: { summary: 'store a composefs image and commit a stub commit naming it', load: () => import('./commit.js') },
  prune: { summary: 'delete unreachable stub commits, images and cfs objects', load: () => import('./prune.js') },
  fsck: { summary: 'check stub commits and the cfs/ store', load: () => import('./fsck.js') },
  admin: { summary: 'sysroot deployments: init-fs, os-init, deploy, status, verify, ... (cfskit admin help)', load: () => import('./admin.js') },
  mkcomposefs: { summary: 'build a composefs image (as mkcomposefs 1.0.8)', load: () => import('./mkcomposefs.js') },
  info: { summary: 'list, dump or check the objects of composefs images (as composefs-info)', load: () => import('./info.js') },
  demo: { summary: 'the main job end to end on an embedded sample OS, in a throwaway sysroot', load: () => import('./demo.js') },
  digest: { summary: 'print fs-verity digests of files (as fsverity digest)', load: () => import('./digest.js') },
};

const group = {
  prefix: 'cfskit',
  table: commands,
  usage: () => `${groupUsage('cfskit', commands)}\nAdmin commands (cfskit admin COMMAND):\n${commandList(adminCommands)}\n`,
};

export async function main(argv: string[]): Promise<number> {
  const [name] = argv;
  if (name === '--version') {
    process.stdout.write('cfskit 0.1.0\n');
    return 0;
  }
  try {
    return await dispatch(group, argv);
  } catch (err) {
    if (err instanceof CfsError) {
      process.stderr.write(`cfskit ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cfskit: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
