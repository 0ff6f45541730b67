/**
 * Sysroot layout (ostree.md §3.1–§3.3, §3.6): where deployments, origins, boot entries and bootlinks
 * live, and `ostree admin init-fs` / `os-init` equivalents.
 */
import { CfsError } from '../errors.js';
import { initRepo } from '../ostree/repo.js';
import { type Fs, nodeFs, ensureDir } from '../io/fs.js';

/** Deployment directory names: `<commit>.<deployserial>` (ostree.md §3.3). */
const DEPLOY_NAME = /^([0-9a-f]+)\.([0-9]+)$/;
/** The `ostree=` karg value (ostree.md §3.6; the '.' matches any byte, as in ostree's regex). */
const BOOTLINK = /^\/ostree\/boot.([01])\/([^/]+)\/([^/]+)\/([0-9]+)$/;

export interface DeployName {
  csum: string;
  deployserial: number;
}

export interface Bootlink {
  bootversion: number;
  stateroot: string;
  bootcsum: string;
  bootserial: number;
}

export const paths = {
  repo: (sysroot: string) => `${sysroot}/ostree/repo`,
  /** `refs/heads/ostree`: the deployment refs `ostree/<B>/<S>/<i>` (spec ostree.md §7 step 4). */
  deploymentRefs: (sysroot: string) => `${sysroot}/ostree/repo/refs/heads/ostree`,
  deployRoot: (sysroot: string) => `${sysroot}/ostree/deploy`,
  stateroot: (sysroot: string, stateroot: string) => `${sysroot}/ostree/deploy/${stateroot}`,
  var: (sysroot: string, stateroot: string) => `${sysroot}/ostree/deploy/${stateroot}/var`,
  deployDir: (sysroot: string, stateroot: string) => `${sysroot}/ostree/deploy/${stateroot}/deploy`,
  /** `ostree/deploy/STATEROOT/deploy/<csum>.<serial>` */
  deployment: (sysroot: string, stateroot: string, d: DeployName) =>
    `${sysroot}/ostree/deploy/${stateroot}/deploy/${deployName(d)}`,
  /** The `.origin` keyfile next to the deployment directory. */
  origin: (sysroot: string, stateroot: string, d: DeployName) =>
    `${sysroot}/ostree/deploy/${stateroot}/deploy/${deployName(d)}.origin`,
  bootLoaderLink: (sysroot: string) => `${sysroot}/boot/loader`,
  /** `boot/loader.<B>` and its `entries/`. */
  loader: (sysroot: string, bootversion: number) => `${sysroot}/boot/loader.${bootversion}`,
  entries: (sysroot: string, bootversion: number) => `${sysroot}/boot/loader.${bootversion}/entries`,
  /** `ostree/boot.<B>` symlink and its `boot.<B>.<S>` target directory. */
  bootlinkLink: (sysroot: string, bootversion: number) => `${sysroot}/ostree/boot.${bootversion}`,
  bootlinkDir: (sysroot: string, bootversion: number, subbootversion: number) =>
    `${sysroot}/ostree/boot.${bootversion}.${subbootversion}`,
  /** `ostree/boot.<B>.<S>/<stateroot>/<bootcsum>/<bootserial>` */
  bootlink: (sysroot: string, bootversion: number, subbootversion: number, b: Omit<Bootlink, 'bootversion'>) =>
    `${sysroot}/ostree/boot.${bootversion}.${subbootversion}/${b.stateroot}/${b.bootcsum}/${b.bootserial}`,
  /** `boot/ostree/<stateroot>-<bootcsum>` kernel directory (ostree.md §3.4). */
  bootDir: (sysroot: string, stateroot: string, bootcsum: string) => `${sysroot}/boot/ostree/${stateroot}-${bootcsum}`,
  overlayInitrds: (sysroot: string) => `${sysroot}/boot/ostree/initramfs-overlays`,
  lock: (sysroot: string) => `${sysroot}/ostree/lock`,
};

export function deployName(d: DeployName): string {
  return `${d.csum}.${d.deployserial}`;
}

/** `_ostree_sysroot_parse_deploy_path_name`: `<hex>.<serial>`, or undefined. */
export function parseDeployName(name: string): DeployName | undefined {
  const m = DEPLOY_NAME.exec(name);
  return m ? { csum: m[1], deployserial: Number(m[2]) } : undefined;
}

/** The bootlink target, relative to the bootlink (ostree.md §3.6). */
export function bootlinkTarget(stateroot: string, d: DeployName): string {
  return `../../../deploy/${stateroot}/deploy/${deployName(d)}`;
}

/** The `ostree=` karg value for a deployment (ostree.md §3.6). */
export function ostreeKarg(b: Bootlink): string {
  return `/ostree/boot.${b.bootversion}/${b.stateroot}/${b.bootcsum}/${b.bootserial}`;
}

/** `_ostree_sysroot_parse_bootlink`, or undefined when the value does not match. */
export function parseOstreeKarg(value: string): Bootlink | undefined {
  const m = BOOTLINK.exec(value);
  if (!m) return undefined;
  return { bootversion: Number(m[1]), stateroot: m[2], bootcsum: m[3], bootserial: Number(m[4]) };
}

/** A stateroot name is one path component (ostree.md §3.2). */
export function checkStateroot(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new CfsError(`invalid stateroot name '${name}'`, { field: 'stateroot', code: 'ESYSROOT' });
  }
}

/** Top-level directories `ostree admin init-fs` creates, with their modes (ostree.md §3.1). */
const INIT_FS_DIRS: [string, number][] = [
  ['boot', 0o755], ['dev', 0o755], ['home', 0o755], ['proc', 0o755], ['run', 0o755], ['sys', 0o755],
  ['root', 0o700], ['tmp', 0o1777],
];

/** `ostree admin init-fs DIR`: DIR must exist; creates the skeleton and a `mode=bare` system repo. */
export function initFs(dir: string, f: Fs = nodeFs): void {
  if (!f.stat(dir)?.isDirectory()) {
    throw new CfsError('sysroot directory does not exist', { file: dir, code: 'ESYSROOT' });
  }
  for (const [name, mode] of INIT_FS_DIRS) {
    const p = `${dir}/${name}`;
    ensureDir(f, p, mode);
    // mkdir(2) applies the umask and may drop the sticky bit: set the exact mode.
    f.chmod(p, mode);
  }
  ensureDir(f, `${dir}/ostree/deploy`, 0o755);
  initRepo(`${dir}/ostree/repo`, 'bare');
}

/**
 * `ostree admin os-init STATEROOT` (2022.7, ostree.md §3.2): `ostree/deploy/STATEROOT/var` plus the
 * legacy var entries (`tmp` 01777, `lib`, `log`, `run -> ../run`, `lock -> ../run/lock`); an
 * existing stateroot is an error, as in ostree. Bumps the mtime of `ostree/deploy`.
 */
export function osInit(sysroot: string, stateroot: string, f: Fs = nodeFs): void {
  checkStateroot(stateroot);
  const deployRoot = paths.deployRoot(sysroot);
  if (!f.stat(deployRoot)?.isDirectory()) {
    throw new CfsError('not an ostree sysroot (no ostree/deploy; run admin init-fs first)', { file: sysroot, code: 'ESYSROOT' });
  }
  const dir = paths.stateroot(sysroot, stateroot);
  if (f.lstat(dir)) throw new CfsError('stateroot exists already', { file: dir, code: 'ESYSROOT' });
  f.mkdir(dir, 0o755);
  const varDir = paths.var(sysroot, stateroot);
  f.mkdir(varDir, 0o755);
  f.mkdir(`${varDir}/tmp`, 0o1777);
  f.chmod(`${varDir}/tmp`, 0o1777);
  f.mkdir(`${varDir}/lib`, 0o755);
  f.mkdir(`${varDir}/log`, 0o755);
  f.symlink('../run', `${varDir}/run`);
  f.symlink('../run/lock', `${varDir}/lock`);
  const now = Date.now() / 1000;
  f.lutimes(deployRoot, now, now);
}
