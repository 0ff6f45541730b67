/**
 * cfskit's prepare-root (`prepare-root.sh` beside this file, checked by shellcheck in the tests and
 * copied into dist/ by the build): the POSIX sh program the initramfs extension carries (docs/FORMAT.md,
 * "Initramfs extension"). It runs as PID 1 under busybox, started by the extension's init hook, and
 * turns "composefs digest + path in the initramfs" into the running root:
 *
 *  1. kargs from /proc/cmdline: `ostree=` (bootlink, ostree.md §3.6), `composefs=` (64-hex fs-verity
 *     digest of the image), `root=` (+ `rootfstype=`, `rootflags=`), `rd.emergency=`,
 *     `ostree.prepare-root.composefs=` (overrides prepare-root.conf, ostree.md §5.4 step 1);
 *  2. checks `composefs=` against the extension's digest, mounts the physical root at /sysroot,
 *     resolves the bootlink (must be a symlink) to the deployment the extension names;
 *  3. checks the image's sha256 against the extension (busybox has sha256sum, not fs-verity);
 *  4. mounts the image (EROFS, loop) and overlayfs over the objects dir: the data-only lower layer
 *     `A::B` on kernels >= 6.5, else `A:B` (6.1 reads `::` as an empty layer, vm-boot.md §3);
 *     `metacopy=on,redirect_dir=on` always; `verity=require` when prepare-root.conf says `verity`
 *     (needs >= 6.6);
 *  5. binds the deployment's `etc/` over /etc and the stateroot's `var/` over /var, the sysroot's
 *     `boot/` over /boot when `boot/loader` is a symlink there (no /boot partition), then the new
 *     root (recursively) over the deployment directory and writes `/run/ostree-booted` (ostree's
 *     a{sv} with `backing-root-device-inode` = the root's (dev, ino)): booted-system detection of
 *     ostree 2022.7 (stat of `/`), of later ostree and of cfskit (src/sysroot/booted.ts) all find the
 *     running deployment;
 *  6. moves the physical root to /sysroot inside the new root, moves /dev /proc /sys /run along, and
 *     switch_roots.
 *
 * Run as `prepare-root /sysroot` (cfskit-prepare-root.service, a systemd initramfs), it is not PID 1:
 * systemd has mounted `root=` at /sysroot, which it remounts read-write instead of step 2's mount;
 * step 6 moves the physical root under the new root and the new root to /sysroot, and it exits 0:
 * initrd-switch-root.service switches root. A failure there exits 1 (the unit's OnFailure=).
 *
 * Any failure prints one line `cfskit-prepare-root: <reason>` and enters the emergency path: an
 * interactive shell, or with `rd.emergency=poweroff|reboot|halt` (dracut's karg) that action. It
 * never falls back to booting anything else.
 *
 * The extension's keyfiles are read with a small sh reader: `[group]` lines and `key=value` lines
 * exactly as cfskit writes them (no escapes, no spaces around `=`). Tools it calls, each in busybox
 * and in util-linux/coreutils: mount, sha256sum, readlink -f, findfs, switch_root, uname, grep,
 * cat, sleep 0.1, sync, stat -c, printf, chmod, mv, mkdir -p, poweroff/reboot/halt -f.
 */

import { readFileSync } from 'node:fs';

/** The script, read once from `prepare-root.sh` next to this module (src/ under tsx, dist/ when built). */
export const PREPARE_ROOT_SCRIPT = readFileSync(new URL('./prepare-root.sh', import.meta.url), 'utf8');

/** `cfskit-prepare-root.service` next to this module: runs `prepare-root /sysroot` in a systemd initramfs. */
export const PREPARE_ROOT_UNIT = readFileSync(new URL('./cfskit-prepare-root.service', import.meta.url), 'utf8');

/** Prefix of every line prepare-root prints: the script's `TAG=` value. */
export const PREPARE_ROOT_TAG = /^TAG=(.+)$/m.exec(PREPARE_ROOT_SCRIPT)![1];
