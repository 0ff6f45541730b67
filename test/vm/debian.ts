/**
 * A real Debian 12 userspace for the VM suite: mmdebstrap (minbase + systemd + ostree) builds it
 * once into a tarball cached outside the repo, keyed by a hash of everything that decides its
 * content; writeDebianTree() turns it into an ostree-style image tree: /etc moved to /usr/etc,
 * `/ostree -> sysroot/ostree`, the /sysroot mount point, the host kernel + base initramfs, cfskit
 * itself (the host's node binary, dist/, build/*.wasm, package.json and the production
 * node_modules) as /usr/bin/cfskit, the finalize unit cfskit ships, and a check unit that reports
 * the running system on the serial console.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand } from '../helpers/peers.js';
import { type HostKernel } from '../helpers/vm.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const required = process.env.CFSKIT_REQUIRE_PEERS === '1';

/** What mmdebstrap is asked for; its hash names the cached tarball. */
export const DEBIAN = {
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  packages: ['systemd', 'systemd-sysv', 'udev', 'dbus', 'kmod', 'ostree'],
};

/** Marker lines the check unit prints. */
export const DEB_TAG = 'CFSKIT-DEB';
/** The kernel argument the test appends to say what the check unit does after checking. */
export const ACTION_KARG = 'cfskit.vmtest';
/** Where cfskit is installed in the image. */
const CFSKIT_DIR = 'usr/lib/cfskit-vm';
/** The unit cfskit ships for staged deployments (src/sysroot/boot/). */
export const FINALIZE_UNIT = 'cfskit-finalize-staged.service';
const FINALIZE_UNIT_SRC = join(REPO, 'src/sysroot/boot', FINALIZE_UNIT);

export const debianCacheDir = (): string => process.env.CFSKIT_VM_CACHE ?? '/var/cache/cfskit-test';

/** `debian-<sha256 of DEBIAN, first 16 hex>.tar` in the cache directory. */
export function debianCacheFile(): string {
  const key = createHash('sha256').update(JSON.stringify(DEBIAN)).digest('hex').slice(0, 16);
  return join(debianCacheDir(), `debian-${key}.tar`);
}

/** Skips (or fails under CFSKIT_REQUIRE_PEERS) without mmdebstrap or root (mmdebstrap's root mode, owners in the tree). */
export function needDebian(ctx: Mocha.Context): void {
  const missing: string[] = [];
  if (!hasCommand('mmdebstrap')) missing.push("'mmdebstrap' is not installed");
  if (!hasCommand('debugfs')) missing.push("'debugfs' is not installed (e2fsprogs)");
  if (process.getuid?.() !== 0) missing.push('not root (mmdebstrap --mode=root, file owners of the Debian tree)');
  if (missing.length === 0) return;
  const why = missing.join('; ');
  if (required) throw new Error(`Debian VM test cannot run and CFSKIT_REQUIRE_PEERS=1: ${why}`);
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

/** The cached tarball, built by mmdebstrap first when missing (temp name, then rename). */
export function debianTarball(): { file: string; builtMs?: number } {
  const file = debianCacheFile();
  if (existsSync(file)) return { file };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const start = Date.now();
  const r = spawnSync('mmdebstrap', [
    `--variant=${DEBIAN.variant}`, `--include=${DEBIAN.packages.join(',')}`, '--mode=root', '--format=tar', '--quiet',
    DEBIAN.suite, tmp, DEBIAN.mirror,
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`mmdebstrap exited ${r.status}: ${r.stderr}`);
  }
  renameSync(tmp, file);
  return { file, builtMs: Date.now() - start };
}

/** The check unit's script: what the running system says about itself, then ACTION_KARG's action. */
function checkScript(stateroot: string): string {
  return `#!/bin/sh
T=${DEB_TAG}
say() { echo "$T: $*" >/dev/console; }
lines() { while IFS= read -r l; do say "$1$l"; done; }
ACTION=
for a in $(cat /proc/cmdline); do case "$a" in ${ACTION_KARG}=*) ACTION=\${a#${ACTION_KARG}=} ;; esac; done
say "state=$(systemctl is-system-running --wait)"
systemctl --failed --plain --no-legend | lines failed=
. /usr/lib/os-release
say "VERSION=$VERSION_ID"
say "local=$(cat /etc/local.conf 2>&1)"
[ -e /run/ostree-booted ] && say "ostree-booted=yes"
say "root=$(findmnt -n -o FSTYPE,OPTIONS /)"
ostree admin status 2>&1 | lines ostree-status=
cfskit admin status >/run/status 2>&1
lines cfskit-status= </run/status
# The booted deployment's index: its position among the deployment lines.
B=$(grep -v '^    ' /run/status | grep -n '^\* ' | cut -d: -f1)
B=$((B - 1))
say "booted-index=$B"
out=$(cfskit admin undeploy "$B" 2>&1)
say "undeploy-exit=$?"
echo "$out" | lines undeploy=
case "$ACTION" in
  stage-*)
    cfskit admin upgrade --stage 2>&1 | lines upgrade=
    cfskit admin status 2>&1 | lines staged-status=
    echo "changed after staging ($ACTION)" >/etc/local.conf
    say "var=$(ls /ostree/deploy/${stateroot}/var >/dev/null && echo ok)"
    ;;
esac
sync
say "done"
case "$ACTION" in
  *-kill) sleep 600 ;;
esac
systemctl poweroff
`;
}

const CHECK_UNIT = `[Unit]
Description=cfskit VM test: report the running system on the console
After=multi-user.target

[Service]
Type=simple
ExecStart=/usr/lib/cfskit-vm/check
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

export interface DebianVersion {
  /** VERSION_ID of os-release. */
  version: string;
}

/** Enables a unit of /usr/lib/systemd/system as `systemctl enable` does: a symlink in WANTS. */
function enable(dir: string, unit: string, wants: string): void {
  const d = join(dir, 'usr/etc/systemd/system', wants);
  mkdirSync(d, { recursive: true });
  symlinkSync(`/usr/lib/systemd/system/${unit}`, join(d, unit));
}

/** cfskit as the host runs it: node, dist/, the Wasm, package.json and the production dependencies. */
function installCfskit(dir: string): void {
  const root = join(dir, CFSKIT_DIR);
  mkdirSync(join(root, 'build'), { recursive: true });
  copyFileSync(process.execPath, join(root, 'node'));
  cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
  for (const f of readdirSync(join(REPO, 'build')).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(REPO, 'build', f), join(root, 'build', f));
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, encoding: 'utf8' });
  for (const p of ls.stdout.split('\n').filter((l) => l.startsWith(join(REPO, 'node_modules')))) {
    cpSync(p, join(root, relative(REPO, p)), { recursive: true, dereference: true });
  }
  symlinkSync('/usr/lib/cfskit-vm/node', join(dir, 'usr/bin/node'));
  writeFileSync(join(dir, 'usr/bin/cfskit'), `#!/bin/sh\nexec /${CFSKIT_DIR}/node /${CFSKIT_DIR}/dist/cli/main.js "$@"\n`, { mode: 0o755 });
}

/** /usr/lib/os-release naming `v` (what tells the versions apart). */
export function writeOsRelease(dir: string, v: DebianVersion): void {
  writeFileSync(join(dir, 'usr/lib/os-release'), `PRETTY_NAME="Debian GNU/Linux 12 (cfskit test ${v.version})"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="${v.version}"\n`);
}

/** Extracts the tarball into `dir` (which must not exist) and makes it the image tree of `v`. */
export function writeDebianTree(dir: string, tarball: string, v: DebianVersion, kernel: HostKernel, baseInitramfs: Uint8Array, stateroot: string): void {
  mkdirSync(dir);
  const tar = spawnSync('tar', ['-xf', tarball, '-C', dir, '--numeric-owner'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar -xf ${tarball}: ${tar.stderr}`);
  // ostree's layout: the /etc defaults in /usr/etc, an empty /etc to bind the deployment's over.
  renameSync(join(dir, 'etc'), join(dir, 'usr/etc'));
  for (const d of ['etc', 'dev', 'run', 'tmp', 'boot', 'sysroot']) {
    rmSync(join(dir, d), { recursive: true, force: true });
    mkdirSync(join(dir, d));
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  symlinkSync('sysroot/ostree', join(dir, 'ostree'));
  // A fixed machine id: not a first boot (no systemd-firstboot prompt on the console).
  writeFileSync(join(dir, 'usr/etc/machine-id'), `${createHash('sha256').update(stateroot).digest('hex').slice(0, 32)}\n`);
  writeOsRelease(dir, v);
  rmSync(join(dir, 'usr/etc/os-release'), { force: true });
  symlinkSync('../usr/lib/os-release', join(dir, 'usr/etc/os-release'));
  const modules = join(dir, 'usr/lib/modules', kernel.kver);
  mkdirSync(modules, { recursive: true });
  copyFileSync(kernel.vmlinuz, join(modules, 'vmlinuz'));
  writeFileSync(join(modules, 'initramfs.img'), baseInitramfs);
  installCfskit(dir);
  copyFileSync(FINALIZE_UNIT_SRC, join(dir, 'usr/lib/systemd/system', FINALIZE_UNIT));
  enable(dir, FINALIZE_UNIT, 'multi-user.target.wants');
  writeFileSync(join(dir, CFSKIT_DIR, 'check'), checkScript(stateroot), { mode: 0o755 });
  writeFileSync(join(dir, 'usr/lib/systemd/system/cfskit-vm-check.service'), CHECK_UNIT);
  enable(dir, 'cfskit-vm-check.service', 'multi-user.target.wants');
}

/** The sysroot's boot/ as the guest left it on the ext4 disk, copied to `dest`/boot by debugfs (no mount). */
export function readDiskBoot(disk: string, dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const r = spawnSync('debugfs', ['-R', `rdump /boot ${dest}`, disk], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(dest, 'boot/loader'))) throw new Error(`debugfs rdump /boot of ${disk}: ${r.stderr}`);
}
