#!/usr/bin/env node
/**
 * `cfskit` entry point: dispatches to one module per command. Each command module exports
 * `run(args: string[]): Promise<number>` returning the exit status; modules load lazily so a
 * command pays only for what it uses.
 */
import { ioError, isSystemError } from '../errors.js';
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
  remote: { summary: 'add, list, delete remotes; list a remote\'s refs', load: () => import('./remote.js') },
  pull: { summary: 'fetch stub commits, images and objects from a remote over HTTP(S)', load: () => import('./pull.js') },
  summary: { summary: 'regenerate the summary file served to clients', load: () => import('./summary.js') },
  'static-delta': { summary: 'write the image delta between two commits, fetched by pulls instead of the whole image', load: () => import('./static-delta.js') },
  sign: { summary: 'sign a commit with ed25519 or verify its signatures', load: () => import('./sign.js') },
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
  guardStdout(name);
  try {
    return await dispatch(group, argv);
  } catch (err) {
    // a command that waited on its own stdout write gets the stdout error back
    if (isSystemError(err) && err.code === 'EPIPE' && err.path === undefined) return EXIT_SIGPIPE;
    const e = ioError(err);
    if (e) {
      process.stderr.write(`cfskit ${name}: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** What a shell reports for a process SIGPIPE killed (128 + 13). */
export const EXIT_SIGPIPE = 141;

/**
 * The one handler of stdout errors, for every command. Node ignores SIGPIPE, so a closed pipe
 * (`cfskit log ... | head -1`) comes back as EPIPE: cfskit then ends at once and quietly with 141,
 * what coreutils shows under a shell's default SIGPIPE (with SIGPIPE ignored they print "write
 * error: Broken pipe" and exit 1; Node cannot see the disposition it inherited). Any other error
 * (ENOSPC on `> /dev/full`, EIO) is one line naming stdout, exit 1.
 */
let guarded = false;
function guardStdout(name: string | undefined): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (err) => {
    if (isSystemError(err) && err.code === 'EPIPE') process.exit(EXIT_SIGPIPE);
    process.stderr.write(`cfskit${name ? ` ${name}` : ''}: ${ioError(err, 'stdout')?.message ?? String(err)}\n`);
    process.exit(1);
  });
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
