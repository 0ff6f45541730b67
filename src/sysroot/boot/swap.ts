/**
 * Writing a new deployment list to the boot configuration in ostree's order
 * (`ostree_sysroot_write_deployments_with_options`, ostree.md §3.7). Everything for the new
 * bootversion N = 1 − B is written and fsynced first; the single commit point is
 * `rename(boot/loader.tmp, boot/loader)`. A crash before it leaves the old configuration intact
 * (only unreferenced `loader.N`/`boot.N.*` garbage, rewritten by the next run); after it the new one
 * is complete.
 */
import { CfsError } from '../../errors.js';
import { BootEntry, entryFileName } from '../../formats/bls.js';
import { writeDeploymentRefs } from '../deployment-refs.js';
import {
  type Deployment, assignBootserials, deploymentPath, loadSysroot, sameDeployment,
} from '../deployments.js';
import { type Fs, ensureDir, nodeFs, removeIfExists, removeTree, symlinkReplace, writeAtomic, writeFileReplace } from '../../io/fs.js';
import { formatKargs, parseKargs, replaceKarg, withoutKarg } from '../../formats/kargs.js';
import { bootlinkTarget, ostreeKarg, paths } from '../layout.js';
import { type BootedEnv, HOST_ENV } from '../booted.js';
import { STAGED_LOCKED_FILE, stagedPath } from '../staged.js';

/** A file to install into `boot/ostree/<stateroot>-<bootcsum>/` if missing (ostree.md §3.4). */
export interface BootFile {
  name: string;
  /** A file to hardlink (or copy across filesystems), or the bytes themselves. */
  src: string | Uint8Array;
  mode?: number;
}

export interface WriteOptions {
  fs?: Fs;
  /** Boot files per kernel directory name `<stateroot>-<bootcsum>`. */
  bootFiles?: Map<string, BootFile[]>;
  /** Where the running system is seen from (booted.ts; default the host's). */
  env?: BootedEnv;
}

/** What a write did: nothing, a bootlink-only swap (6), or a new bootversion (7). */
export type SwapKind = 'none' | 'subbootversion' | 'bootversion';

/** The title without ostree's ` (ostree[:stateroot]:<i>)` suffix. */
export function titleBase(title: string | undefined): string {
  return (title ?? '').replace(/ ?\(ostree(:[^()]*)?\)$/, '');
}

/** The BLS entry of deployment `i` of `n` for bootversion `bootversion` (ostree.md §3.5). */
export function renderEntry(d: Deployment, i: number, n: number, bootversion: number, showStateroot: boolean): BootEntry {
  const e = new BootEntry();
  const base = titleBase(d.entry.title);
  const suffix = `(ostree${showStateroot ? `:${d.stateroot}` : ''}:${i})`;
  e.set('title', base ? `${base} ${suffix}` : suffix);
  e.set('version', String(n - i));
  const karg = `ostree=${ostreeKarg({ bootversion, stateroot: d.stateroot, bootcsum: d.bootcsum, bootserial: d.bootserial })}`;
  e.set('options', formatKargs(replaceKarg(parseKargs(d.entry.options ?? ''), karg)));
  for (const [k, v] of d.entry.keys) if (k !== 'title' && k !== 'version' && k !== 'options') e.set(k, v);
  e.initrds = [...d.entry.initrds];
  return e;
}

/** deployment_bootconfigs_equal, per position (ostree.md §3.7 step 4). */
function bootconfigsEqual(a: Deployment[], b: Deployment[]): boolean {
  const key = (d: Deployment) =>
    JSON.stringify([
      d.stateroot, d.bootcsum, titleBase(d.entry.title), withoutKarg(parseKargs(d.entry.options ?? ''), 'ostree'),
      [...d.entry.keys].filter(([k]) => k !== 'title' && k !== 'version' && k !== 'options'), d.entry.initrds,
    ]);
  return a.length === b.length && a.every((d, i) => key(d) === key(b[i]));
}

/**
 * Makes `list` the boot configuration (index 0 = default). Deployment directories must exist; the
 * booted deployment must stay in the list.
 */
export function writeDeployments(sysroot: string, wanted: Deployment[], opts: WriteOptions = {}): SwapKind {
  const f = opts.fs ?? nodeFs;
  const loaded = loadSysroot(sysroot, f, opts.env);
  // ostree.md §3.7 step 2: a staged deployment stays (without an entry) only as the first of the list
  const staged = loaded.deployments[0]?.staged ? loaded.deployments[0] : undefined;
  if (staged && !(wanted[0]?.staged && sameDeployment(wanted[0], staged))) dropStaged(f, sysroot, staged, opts.env ?? HOST_ENV);
  const list = wanted.filter((d) => !d.staged);
  const current = { ...loaded, deployments: loaded.deployments.filter((d) => !d.staged) };
  if (current.booted && !list.some((d) => sameDeployment(d, current.booted!))) {
    throw new CfsError('the booted deployment must stay in the list', { code: 'ESYSROOT' });
  }
  for (const d of list) {
    if (!f.stat(deploymentPath(sysroot, d))?.isDirectory()) {
      throw new CfsError('deployment directory does not exist', { file: deploymentPath(sysroot, d), code: 'ESYSROOT' });
    }
  }
  const next = list.map((d) => ({ ...d }));
  assignBootserials(next);
  const configsEqual = bootconfigsEqual(current.deployments, next);
  let kind: SwapKind;
  if (configsEqual && next.every((d, i) => sameDeployment(d, current.deployments[i]))) {
    return 'none';
  } else if (configsEqual) {
    const s = 1 - current.subbootversion;
    writeBootlinks(f, sysroot, current.bootversion, s, next);
    symlinkReplace(f, `boot.${current.bootversion}.${s}`, paths.bootlinkLink(sysroot, current.bootversion));
    f.fsync(`${sysroot}/ostree`);
    writeDeploymentRefs(f, sysroot, current.bootversion, s, next.map((d) => d.csum));
    kind = 'subbootversion';
  } else {
    const { bootversion, subbootversion } = bootswap(f, sysroot, current.bootversion, next, opts.bootFiles);
    writeDeploymentRefs(f, sysroot, bootversion, subbootversion, next.map((d) => d.csum));
    kind = 'bootversion';
  }
  // Lets other processes notice the change (ostree.md §3.7 step 8).
  const now = Date.now() / 1000;
  f.lutimes(paths.deployRoot(sysroot), now, now);
  return kind;
}

/** The state file (and its lock), then the staged deployment's directory and origin. */
function dropStaged(f: Fs, sysroot: string, d: Deployment, env: BootedEnv): void {
  removeIfExists(f, stagedPath(env));
  removeIfExists(f, `${env.run}/${STAGED_LOCKED_FILE}`);
  removeTree(f, deploymentPath(sysroot, d));
  removeIfExists(f, paths.origin(sysroot, d.stateroot, d));
}

/** write_deployments_bootswap (ostree.md §3.7 step 7). */
function bootswap(f: Fs, sysroot: string, bootversion: number, list: Deployment[], bootFiles?: Map<string, BootFile[]>): { bootversion: number; subbootversion: number } {
  const n = 1 - bootversion;
  // a. fresh entries directory for the new bootversion
  const loader = paths.loader(sysroot, n);
  const entries = paths.entries(sysroot, n);
  ensureDir(f, loader, 0o755);
  removeTree(f, entries);
  f.mkdir(entries, 0o755);
  // b. kernels and entries
  const showStateroot = new Set(list.map((d) => d.stateroot)).size > 1;
  const kernelDirs = new Set<string>();
  list.forEach((d, i) => {
    const files = bootFiles?.get(`${d.stateroot}-${d.bootcsum}`);
    if (files) kernelDirs.add(installBootFiles(f, sysroot, d, files));
    const entry = renderEntry(d, i, list.length, n, showStateroot);
    writeFileReplace(f, `${entries}/${entryFileName(list.length, i, d.stateroot)}`, entry.toString(), { sync: true });
  });
  // c, d. bootlinks for N, then point ostree/boot.N at them
  const sub = 1 - subbootversionOf(f, sysroot, n);
  writeBootlinks(f, sysroot, n, sub, list);
  symlinkReplace(f, `boot.${n}.${sub}`, paths.bootlinkLink(sysroot, n));
  // f. boot/boot -> . and boot/loader.tmp -> loader.N
  const boot = `${sysroot}/boot`;
  if (!f.lstat(`${boot}/boot`)) f.symlink('.', `${boot}/boot`);
  symlinkReplace(f, `loader.${n}`, `${boot}/loader.tmp`);
  // g. sync everything written above (we cannot syncfs: fsync each directory that changed)
  for (const dir of [entries, loader, ...kernelDirs, `${sysroot}/ostree`, boot]) f.fsync(dir);
  // h. the commit point
  f.rename(`${boot}/loader.tmp`, paths.bootLoaderLink(sysroot));
  f.fsync(boot);
  return { bootversion: n, subbootversion: sub };
}

function subbootversionOf(f: Fs, sysroot: string, bootversion: number): number {
  const target = f.readlink(paths.bootlinkLink(sysroot, bootversion))?.toString();
  return target?.endsWith('.1') ? 1 : 0;
}

/** create_new_bootlinks: `ostree/boot.B.S/<stateroot>/<bootcsum>/<bootserial>` (ostree.md §3.6). */
function writeBootlinks(f: Fs, sysroot: string, bootversion: number, sub: number, list: Deployment[]): void {
  const root = paths.bootlinkDir(sysroot, bootversion, sub);
  removeTree(f, root);
  f.mkdir(root, 0o755);
  const dirs = new Set<string>([root]);
  for (const d of list) {
    const dir = `${root}/${d.stateroot}/${d.bootcsum}`;
    ensureDir(f, dir, 0o755);
    dirs.add(`${root}/${d.stateroot}`).add(dir);
    f.symlink(bootlinkTarget(d.stateroot, d), `${dir}/${d.bootserial}`);
  }
  for (const dir of dirs) f.fsync(dir);
}

/** install_into_boot: hardlink, or copy (temp, fsync, rename) across filesystems; existing files kept. */
export function installBootFiles(f: Fs, sysroot: string, d: Deployment, files: BootFile[]): string {
  const dir = paths.bootDir(sysroot, d.stateroot, d.bootcsum);
  ensureDir(f, dir, 0o755);
  for (const file of files) {
    const dest = `${dir}/${file.name}`;
    if (f.lstat(dest)) continue;
    if (typeof file.src !== 'string') {
      writeFileReplace(f, dest, file.src, { mode: file.mode ?? 0o644, sync: true });
      continue;
    }
    try {
      f.link(file.src, dest);
      continue;
    } catch (e) {
      if (!['EXDEV', 'EMLINK', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    const src = file.src;
    writeAtomic(f, dest, (tmp) => f.copyFile(src, tmp, file.mode ?? 0o644), { dotTmp: true });
  }
  return dir;
}
