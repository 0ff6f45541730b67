#!/usr/bin/env node
/**
 * `cfskit` entry point: dispatches to one module per command. Each command module exports
 * `run(args: string[]): Promise<number>` returning the exit status; modules load lazily so a
 * command pays only for what it uses.
 */
import { CfsError } from '../errors.js';
import { type CommandTable, commandList } from './command-table.js';

const commands: CommandTable = {
  init: { summary: 'create an ostree repository', load: () => import('./init.js') },
  log: { summary: 'show a commit and its history', load: () => import('./log.js') },
  show: { summary: 'show a commit or one of its metadata keys', load: () => import('./show.js') },
  refs: { summary: 'list the refs of a repository', load: () => import('./refs.js') },
  commit: { summary: 'store a composefs image and commit a stub commit naming it', load: () => import('./commit.js') },
  prune: { summary: 'delete unreachable stub commits, images and cfs objects', load: () => import('./prune.js') },
  fsck: { summary: 'check stub commits and the cfs/ store', load: () => import('./fsck.js') },
  admin: { summary: 'sysroot deployments: init-fs, os-init, status', load: () => import('./admin.js') },
  mkcomposefs: { summary: 'build a composefs image (as mkcomposefs 1.0.8)', load: () => import('./mkcomposefs.js') },
  info: { summary: 'list, dump or check the objects of composefs images (as composefs-info)', load: () => import('./info.js') },
  demo: { summary: 'the main job end to end on an embedded sample OS, in a throwaway sysroot', load: () => import('./demo.js') },
  digest: { summary: 'print fs-verity digests of files (as fsverity digest)', load: () => import('./digest.js') },
  remote: { summary: 'add, list, delete remotes; list a remote\'s refs', load: () => import('./remote.js') },
  pull: { summary: 'fetch stub commits, images and objects from a remote over HTTP(S)', load: () => import('./pull.js') },
  summary: { summary: 'regenerate the summary file served to clients', load: () => import('./summary.js') },
  sign: { summary: 'sign a commit with ed25519 or verify its signatures', load: () => import('./sign.js') },
};

function usage(): string {
  return `Usage: cfskit COMMAND [ARGS...]\n\nCommands:\n${commandList(commands)}\n\nRun 'cfskit COMMAND --help' for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 1;
  }
  if (name === '--version') {
    process.stdout.write('cfskit 0.1.0\n');
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`cfskit: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  try {
    return await (await command.load()).run(args);
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
