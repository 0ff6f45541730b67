/**
 * The sample OS the VM boots: static busybox at /bin/busybox with a symlink per applet it uses,
 * /usr/lib/os-release with VERSION, /usr/etc defaults, the host kernel and the base initramfs in
 * /usr/lib/modules/KVER/, the mountpoints prepare-root needs (boot/ included), `/ostree ->
 * sysroot/ostree`, and a /sbin/init that prints markers (what it sees, /run/ostree-booted in hex,
 * the (dev, ino) of / and of the deployment its ostree= names) and powers off.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, type HostKernel } from '../helpers/vm.js';

/** Marker lines the sample OS's /sbin/init prints. */
export const OS_TAG = 'CFSKIT-OS';
/** The /etc file whose default changes between versions. */
export const DEFAULTS_FILE = 'cfskit-test.conf';
/** The /etc file the test adds locally after deploying version 1. */
export const LOCAL_FILE = 'local.conf';

const APPLETS = ['sh', 'cat', 'echo', 'grep', 'tail', 'sha256sum', 'sync', 'poweroff', 'mount', 'od', 'tr', 'stat'];

function sbinInit(stateroot: string): string {
  return `#!/bin/sh
export PATH=/bin
T=${OS_TAG}
. /usr/lib/os-release
echo "$T: VERSION=$VERSION"
echo "$T: ${DEFAULTS_FILE}=$(cat /etc/${DEFAULTS_FILE} 2>&1)"
echo "$T: ${LOCAL_FILE}=$(cat /etc/${LOCAL_FILE} 2>&1)"
echo "$T: root=$(grep '^[^ ]* / ' /proc/mounts | tail -n 1)"
echo "$T: sysroot=$(grep '^[^ ]* /sysroot ' /proc/mounts | tail -n 1)"
echo "$T: etc-writable=$(echo yes 2>&1 >/etc/.boot-test && cat /etc/.boot-test)"
echo "$T: var-is-stateroot=$(echo yes 2>&1 >/var/.boot-test && cat /sysroot/ostree/deploy/${stateroot}/var/.boot-test)"
echo "$T: busybox=$(sha256sum /bin/busybox)"
O=
for a in $(cat /proc/cmdline); do case "$a" in ostree=*) O=\${a#ostree=} ;; esac; done
echo "$T: ostree-booted=$(od -An -tx1 -v /run/ostree-booted | tr -d ' \n')"
echo "$T: root-devino=$(stat -c '%d %i' /)"
echo "$T: deployment-devino=$(stat -L -c '%d %i' "$O")"
echo "$T: boot-entries=$(echo /boot/loader/entries/*)"
echo "$T: done"
sync
poweroff -f
`;
}

export interface OsVersion {
  version: string;
  /** Content of /usr/etc/DEFAULTS_FILE. */
  etcDefault: string;
}

/** Writes the tree for `v` into `dir` (which must not exist). */
export function writeOsTree(dir: string, v: OsVersion, kernel: HostKernel, baseInitramfs: Uint8Array, stateroot: string): void {
  for (const d of ['bin', 'sbin', 'etc', 'var', 'sysroot', 'boot', 'dev', 'proc', 'sys', 'run', 'tmp', 'usr/etc', 'usr/lib/modules']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  // as ostree-based images carry it: the sysroot's ostree/ seen from the running root
  symlinkSync('sysroot/ostree', join(dir, 'ostree'));
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'sbin/init'), sbinInit(stateroot), { mode: 0o755 });
  writeFileSync(
    join(dir, 'usr/lib/os-release'),
    `NAME="Cfskit Test OS"\nID=cfskit-test\nVERSION="${v.version}"\nPRETTY_NAME="Cfskit Test OS ${v.version}"\n`,
  );
  writeFileSync(join(dir, 'usr/etc', DEFAULTS_FILE), `${v.etcDefault}\n`);
  const modules = join(dir, 'usr/lib/modules', kernel.kver);
  mkdirSync(modules);
  copyFileSync(kernel.vmlinuz, join(modules, 'vmlinuz'));
  writeFileSync(join(modules, 'initramfs.img'), baseInitramfs);
}
