/**
 * VM boot harness (vm-boot.md): the host's Debian kernel, a small busybox base
 * initramfs built from the installed packages, an ext4 disk made from a sysroot directory with
 * `mkfs.ext4 -d` (no root needed), and qemu started from exactly what a BLS entry says. Pass/fail
 * comes from console markers: qemu exits 0 even after a kernel panic.
 *
 * Nothing binary is committed: kernel, modules and busybox are read from the host at test time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from '../../src/tree/tree.js';
import { BootEntry } from '../../src/formats/bls.js';
import { type CpioEntry, writeCpio } from '../../src/formats/cpio.js';
import { EXTENSION_FILES } from '../../src/sysroot/boot/initramfs.js';
import { hasCommand } from './peers.js';

const required = process.env.CFSKIT_REQUIRE_PEERS === '1';
export const QEMU = 'qemu-system-x86_64';
export const BUSYBOX = '/bin/busybox';
/** Filesystem label of the sysroot disk (kargs name it: root=LABEL=...). */
export const DISK_LABEL = 'cfsroot';

/** Modules the base initramfs inserts, in modules.dep order (vm-boot.md §2). */
export const INITRAMFS_MODULES = [
  'virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci', 'virtio_blk',
  'loop', 'libcrc32c', 'erofs', 'overlay',
];

/** Marker lines the base /init prints. */
export const INITRAMFS_TAG = 'CFSKIT-INITRAMFS';

export interface HostKernel {
  kver: string;
  vmlinuz: string;
  /** Absolute paths of INITRAMFS_MODULES, same order. */
  modules: string[];
}

/** The newest /boot/vmlinuz-* whose modules dir has every module we need, uncompressed. */
export function findHostKernel(): HostKernel | string {
  let names: string[];
  try {
    names = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-')).sort().reverse();
  } catch {
    return 'no /boot directory';
  }
  if (names.length === 0) return 'no /boot/vmlinuz-* (apt package linux-image-cloud-amd64)';
  const reasons: string[] = [];
  for (const name of names) {
    const kver = name.slice('vmlinuz-'.length);
    const dep = `/lib/modules/${kver}/modules.dep`;
    if (!existsSync(dep)) {
      reasons.push(`${kver}: no ${dep}`);
      continue;
    }
    const paths = new Map<string, string>();
    for (const line of readFileSync(dep, 'utf8').split('\n')) {
      const file = line.slice(0, line.indexOf(':'));
      const base = file.slice(file.lastIndexOf('/') + 1);
      if (base.endsWith('.ko')) paths.set(base.slice(0, -3), `/lib/modules/${kver}/${file}`);
    }
    const missing = INITRAMFS_MODULES.filter((m) => !paths.has(m));
    if (missing.length) {
      reasons.push(`${kver}: modules ${missing.join(', ')} missing or compressed`);
      continue;
    }
    try {
      accessSync(`/boot/${name}`, constants.R_OK);
    } catch {
      reasons.push(`/boot/${name} is not readable`);
      continue;
    }
    return { kver, vmlinuz: `/boot/${name}`, modules: INITRAMFS_MODULES.map((m) => paths.get(m)!) };
  }
  return reasons.join('; ');
}

/** True when `file` is a statically linked ELF (busybox-static), judged by the absent PT_INTERP. */
function isStaticElf(file: string): boolean {
  const b = readFileSync(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

/**
 * Skips (or fails under CFSKIT_REQUIRE_PEERS) when qemu, mkfs.ext4, a host kernel with the needed
 * modules or a static busybox is missing. Returns the kernel.
 */
export function needVm(ctx: Mocha.Context): HostKernel {
  const missing: string[] = [];
  for (const cmd of [QEMU, 'mkfs.ext4']) if (!hasCommand(cmd)) missing.push(`'${cmd}' is not installed`);
  if (!existsSync(BUSYBOX) || !isStaticElf(BUSYBOX)) missing.push(`${BUSYBOX} is not a static busybox (apt package busybox-static)`);
  const kernel = findHostKernel();
  if (typeof kernel === 'string') missing.push(kernel);
  if (missing.length === 0) return kernel as HostKernel;
  const why = missing.join('; ');
  if (required) throw new Error(`VM boot test cannot run and CFSKIT_REQUIRE_PEERS=1: ${why}`);
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

/** Applet names of the host busybox. */
export function busyboxApplets(): string[] {
  const r = spawnSync(BUSYBOX, ['--list']);
  return r.stdout.toString().split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
}

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * The base /init: mounts the API filesystems, inserts the drivers, then sources the extension's
 * init hook, which execs cfskit's prepare-root when the command line has `composefs=`.
 */
export function baseInit(): string {
  return `#!/bin/sh
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "${INITRAMFS_TAG}: base init on $(uname -r)"
for m in ${INITRAMFS_MODULES.join(' ')}; do
  insmod /lib/modules/$m.ko || echo "${INITRAMFS_TAG}: insmod $m failed"
done
[ -r /${EXTENSION_FILES.hook} ] && . /${EXTENSION_FILES.hook}
echo "${INITRAMFS_TAG}: no cfskit init hook took over"
poweroff -f
`;
}

/**
 * The small base initramfs (gzip newc, as distributions ship them): static busybox with a symlink
 * per applet in /bin, the modules as /lib/modules/NAME.ko, /dev/console, and baseInit().
 */
export function buildBaseInitramfs(kernel: HostKernel): Uint8Array {
  const dir = (name: string): CpioEntry => ({ name: enc(name), mode: S_IFDIR | 0o755 });
  const entries: CpioEntry[] = ['bin', 'sbin', 'dev', 'proc', 'sys', 'run', 'etc', 'lib', 'lib/modules', 'sysroot'].map(dir);
  entries.push({ name: enc('dev/console'), mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 });
  entries.push({ name: enc('bin/busybox'), mode: S_IFREG | 0o755, data: readFileSync(BUSYBOX) });
  for (const applet of busyboxApplets()) {
    entries.push({ name: enc(`bin/${applet}`), mode: S_IFLNK | 0o777, data: enc('busybox') });
  }
  INITRAMFS_MODULES.forEach((m, i) => {
    entries.push({ name: enc(`lib/modules/${m}.ko`), mode: S_IFREG | 0o644, data: readFileSync(kernel.modules[i]) });
  });
  entries.push({ name: enc('init'), mode: S_IFREG | 0o755, data: enc(baseInit()) });
  return gzipSync(writeCpio(entries), { level: 9 });
}

/** The initrd qemu gets for an entry: its `initrd` files concatenated, each padded to 4 bytes. */
export function entryInitrd(bootDir: string, entry: BootEntry): Buffer {
  const parts: Buffer[] = [];
  for (const rel of entry.initrds) {
    const data = readFileSync(join(bootDir, rel));
    parts.push(data, Buffer.alloc((4 - (data.length % 4)) % 4));
  }
  return Buffer.concat(parts);
}

/** `mkfs.ext4 -d SYSROOT`: an ext4 disk image of the sysroot directory, sized to fit. */
export function makeExt4Disk(sysroot: string, disk: string): void {
  const du = spawnSync('du', ['-sk', '--apparent-size', sysroot]);
  const kib = Number(du.stdout.toString().split('\t')[0]);
  const sizeMiB = Math.max(32, Math.ceil((kib * 1.5) / 1024) + 16);
  writeFileSync(disk, '');
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-L', DISK_LABEL, '-d', sysroot, disk, `${sizeMiB}M`]);
  if (r.status !== 0) throw new Error(`mkfs.ext4 -d ${sysroot} failed: ${r.stderr.toString()}`);
}

export interface BootResult {
  /** Console output, `\r` and ANSI escapes removed. */
  console: string;
  timedOut: boolean;
  ms: number;
  accel: string;
}

/**
 * TCG unless CFSKIT_VM_ACCEL says otherwise: /dev/kvm may exist yet hang the guest (seen on these
 * machines: no console output at all), and TCG boots in about 3 s (vm-boot.md §5).
 */
export const vmAccel = (): string => process.env.CFSKIT_VM_ACCEL ?? 'tcg';

export interface BootOptions {
  /** The /boot directory the entry's paths are relative to (the sysroot's `boot/`). */
  bootDir: string;
  entry: BootEntry;
  disk: string;
  /** Where the concatenated initrd is written. */
  initrdFile: string;
  timeoutMs?: number;
  /** Appended to the entry's options on qemu's command line (the entry itself is unchanged). */
  append?: string;
  /** Kill qemu (no shutdown) once the console has this text. */
  killOn?: string;
  /** Overrides vmAccel(). */
  accel?: string;
  memoryMiB?: number;
  /** qemu's -cpu (its default, qemu64, has no SSE4.1: V8 then refuses Wasm SIMD). */
  cpu?: string;
}

/** Boots the entry: `-kernel`, `-initrd` and `-append` come from the entry alone. */
export async function bootEntry(o: BootOptions): Promise<BootResult> {
  const linux = o.entry.linux;
  if (!linux) throw new Error('BLS entry has no linux line');
  writeFileSync(o.initrdFile, entryInitrd(o.bootDir, o.entry));
  const accel = o.accel ?? vmAccel();
  const args = [
    '-machine', `pc,accel=${accel}`, ...(o.cpu ? ['-cpu', o.cpu] : []), '-m', String(o.memoryMiB ?? 512), '-nic', 'none', '-no-reboot',
    '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
    '-drive', `file=${o.disk},format=raw,if=virtio`,
    '-kernel', join(o.bootDir, linux),
    '-initrd', o.initrdFile,
    '-append', [o.entry.options ?? '', o.append ?? ''].join(' ').trim(),
  ];
  const start = Date.now();
  const child = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let timedOut = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 60_000);
    const onData = (b: Buffer) => {
      out += b.toString('latin1');
      if (o.killOn !== undefined && out.includes(o.killOn)) child.kill('SIGKILL');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { console: clean(out), timedOut, ms: Date.now() - start, accel };
}

// eslint-disable-next-line no-control-regex
const clean = (s: string) => s.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '');

/** Lines of the console starting with `tag: `, without the tag. */
export function markers(consoleText: string, tag: string): string[] {
  return consoleText.split('\n').flatMap((l) => {
    const i = l.indexOf(`${tag}: `);
    return i < 0 ? [] : [l.slice(i + tag.length + 2)];
  });
}
