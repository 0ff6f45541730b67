/**
 * A systemd initramfs built from Debian packages: mmdebstrap (minbase + systemd + udev + dracut)
 * with the host kernel's modules copied in, then dracut run inside that chroot; only the image is
 * kept, cached beside the Debian tarball (test/vm/debian.ts), keyed by a hash of what decides it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { debianCacheDir } from './debian.js';

/** What decides the image: the packages, dracut's arguments and the kernel (DRACUT_KVER). */
export const DRACUT = {
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  packages: ['systemd', 'systemd-sysv', 'udev', 'kmod', 'dracut-core', 'zstd'],
  // systemd as init, udev for root=LABEL=, the drivers for the disk and for the composefs mount.
  modules: ['systemd-initrd', 'dracut-systemd', 'base', 'rootfs-block', 'kernel-modules', 'udev-rules', 'fs-lib'],
  drivers: ['virtio_blk', 'virtio_pci', 'erofs', 'overlay', 'loop'],
  // What cfskit's prepare-root calls beyond dracut's base.
  install: ['sha256sum', 'stat', 'readlink', 'uname', 'grep', 'sync', 'chmod', 'mv', 'mkdir', 'sleep'],
  compress: 'zstd',
};

/** `dracut-<sha256 of DRACUT and kver, first 16 hex>.img` in the cache directory. */
export function dracutCacheFile(kver: string): string {
  const key = createHash('sha256').update(JSON.stringify({ ...DRACUT, kver })).digest('hex').slice(0, 16);
  return join(debianCacheDir(), `dracut-${key}.img`);
}

/** The cached image for kernel `kver`, built first when missing (temp directory, then rename). */
export function dracutInitramfs(kver: string): { file: string; builtMs?: number } {
  const file = dracutCacheFile(kver);
  if (existsSync(file)) return { file };
  mkdirSync(dirname(file), { recursive: true });
  const out = mkdtempSync(`${file}.tmp-`);
  const start = Date.now();
  const dracut = ['dracut', '--no-hostonly', '--kver', kver, '-m', DRACUT.modules.join(' '), '--force-drivers', DRACUT.drivers.join(' '),
    '-I', DRACUT.install.join(' '), `--${DRACUT.compress}`, '/initrd.img'];
  try {
    const r = spawnSync('mmdebstrap', [
      `--variant=${DRACUT.variant}`, `--include=${DRACUT.packages.join(',')}`, '--mode=root', '--format=null', '--quiet',
      '--customize-hook=mkdir -p "$1/usr/lib/modules"',
      `--customize-hook=copy-in /lib/modules/${kver} /usr/lib/modules`,
      `--customize-hook=chroot "$1" ${dracut.map(shellQuote).join(' ')}`,
      `--customize-hook=copy-out /initrd.img ${out}`,
      DRACUT.suite, '/dev/null', DRACUT.mirror,
    ], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0 || !existsSync(join(out, 'initrd.img'))) throw new Error(`mmdebstrap + dracut exited ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    renameSync(join(out, 'initrd.img'), file);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return { file, builtMs: Date.now() - start };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
