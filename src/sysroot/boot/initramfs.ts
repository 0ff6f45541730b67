/**
 * The initramfs extension (issue #3291's "composefs digest + path in the initramfs"; ostree.md §3.9
 * overlay initrds, ostree.md §6 item 6): an uncompressed newc cpio stored at
 * `boot/ostree/initramfs-overlays/<sha256 of the archive>.img` and named by a second `initrd` line
 * of the deployment's BLS entry. The bootloader loads it after the base initramfs, so its files
 * land on top of the base's. Members (all root-owned, mtime 0, so the archive is reproducible):
 *
 * | member | content |
 * |---|---|
 * | `etc/cfskit/composefs.conf` | keyfile `[composefs]`: `digest`, `image`, `sha256`, `objects`, `deployment` |
 * | `etc/cfskit/prepare-root.conf` | ostree's prepare-root.conf shape: `[composefs] enabled=yes|verity` |
 * | `usr/lib/cfskit/prepare-root` | the prepare-root program (prepare-root.ts), mode 0755 |
 * | `usr/lib/cfskit/init-hook` | sh fragment for a base /init to source: exec prepare-root when the command line has `composefs=` |
 * | `usr/lib/systemd/system/cfskit-prepare-root.service` | the unit a systemd initramfs runs prepare-root by (`prepare-root /sysroot`) |
 * | `usr/lib/systemd/system/initrd-root-fs.target.wants/cfskit-prepare-root.service` | symlink enabling it |
 *
 * plus the directories leading to them.
 */
import { CfsError } from '../../errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../tree/tree.js';
import { computeBootcsum } from '../../formats/bootcsum.js';
import { type CpioEntry, readCpio, writeCpio } from '../../formats/cpio.js';
import { type Fs, ensureDir, nodeFs, writeFileReplace } from '../../io/fs.js';
import { KeyFile } from '../../formats/keyfile.js';
import { paths } from '../layout.js';
import { PREPARE_ROOT_SCRIPT, PREPARE_ROOT_UNIT } from './prepare-root.js';

/** Member paths inside the archive (docs/FORMAT.md). */
export const EXTENSION_FILES = {
  config: 'etc/cfskit/composefs.conf',
  prepareRootConf: 'etc/cfskit/prepare-root.conf',
  prepareRoot: 'usr/lib/cfskit/prepare-root',
  hook: 'usr/lib/cfskit/init-hook',
  unit: 'usr/lib/systemd/system/cfskit-prepare-root.service',
  unitLink: 'usr/lib/systemd/system/initrd-root-fs.target.wants/cfskit-prepare-root.service',
} as const;

/** The keyfile group holding the image facts, and ostree's prepare-root.conf group (ostree.md §5.4). */
const GROUP = 'composefs';
/** The objects directory of the ostree repo's composefs store (ostree.md §6 item 4). */
export const CFS_OBJECTS_DIR = 'ostree/repo/cfs/objects';
/** Extensions are a few KiB; anything larger is not ours. */
export const EXTENSION_MAX_BYTES = 1 << 20;

/** `[composefs] enabled` values cfskit's prepare-root accepts. */
export type ComposefsMode = 'yes' | 'verity';

export interface ExtensionInfo {
  /** fs-verity digest of the image, 64 hex: must equal the `composefs=` karg. */
  digest: string;
  /** The image, relative to the sysroot (`ostree/deploy/S/deploy/<csum>.<serial>/.ostree.cfs`). */
  image: string;
  /** SHA-256 of the image file, 64 hex (what prepare-root can check with busybox). */
  sha256: string;
  /** The backing-file store, relative to the sysroot. */
  objects: string;
  /** The deployment directory the `ostree=` bootlink must lead to, relative to the sysroot. */
  deployment: string;
  /** prepare-root.conf `[composefs] enabled`. */
  composefs: ComposefsMode;
}

/** The hook a base initramfs /init sources once /proc, /sys, /dev and the drivers are ready. */
export const INIT_HOOK = `# cfskit: hand the boot to cfskit's prepare-root when the command line names a composefs image.
case " $(cat /proc/cmdline) " in
  *" composefs="*) exec /${EXTENSION_FILES.prepareRoot} ;;
esac
`;

const HEX64 = /^[0-9a-f]{64}$/;
const enc = (s: string) => new TextEncoder().encode(s);

function checkInfo(info: ExtensionInfo, file?: string): void {
  const bad = (field: string, reason: string): never => {
    throw new CfsError(reason, { file, field, code: 'EEXTENSION' });
  };
  if (!HEX64.test(info.digest)) bad('digest', `'${info.digest}' is not 64 lowercase hex digits`);
  if (!HEX64.test(info.sha256)) bad('sha256', `'${info.sha256}' is not 64 lowercase hex digits`);
  for (const field of ['image', 'objects', 'deployment'] as const) {
    const p = info[field];
    // prepare-root's keyfile reader takes values verbatim: keep them to plain path characters.
    if (!/^[A-Za-z0-9._+@-]+(\/[A-Za-z0-9._+@-]+)*$/.test(p) || p.split('/').some((c) => c === '.' || c === '..')) {
      bad(field, `'${p}' is not a plain relative path inside the sysroot`);
    }
  }
  if (info.composefs !== 'yes' && info.composefs !== 'verity') bad('composefs', `mode '${info.composefs}' is not yes or verity`);
}

/** The archive bytes for `info` (deterministic: same info, same bytes, same file name). */
export function buildExtension(info: ExtensionInfo): Uint8Array {
  checkInfo(info);
  const config = new KeyFile();
  config.setValue(GROUP, 'digest', info.digest);
  config.setValue(GROUP, 'image', info.image);
  config.setValue(GROUP, 'sha256', info.sha256);
  config.setValue(GROUP, 'objects', info.objects);
  config.setValue(GROUP, 'deployment', info.deployment);
  const prConf = new KeyFile();
  prConf.setValue(GROUP, 'enabled', info.composefs);
  const files: [string, string, number][] = [
    [EXTENSION_FILES.config, config.toString(), 0o644],
    [EXTENSION_FILES.prepareRootConf, prConf.toString(), 0o644],
    [EXTENSION_FILES.prepareRoot, PREPARE_ROOT_SCRIPT, 0o755],
    [EXTENSION_FILES.hook, INIT_HOOK, 0o644],
    [EXTENSION_FILES.unit, PREPARE_ROOT_UNIT, 0o644],
    [EXTENSION_FILES.unitLink, '../cfskit-prepare-root.service', S_IFLNK | 0o777],
  ];
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  for (const [path, text, mode] of files) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      entries.push({ name: enc(dir), mode: S_IFDIR | 0o755 });
    }
    entries.push({ name: enc(path), mode: (mode & S_IFMT) === S_IFLNK ? mode : S_IFREG | mode, data: enc(text) });
  }
  return writeCpio(entries);
}

/** The overlay file name `<sha256>.img` of an archive (ostree.md §3.9). */
export function extensionFileName(archive: Uint8Array): string {
  return `${computeBootcsum([archive])}.img`;
}

/** The BLS `initrd` value for an overlay file name (ostree.md §3.5, relative to /boot). */
export const overlayInitrdLine = (fileName: string): string => `/ostree/initramfs-overlays/${fileName}`;

/**
 * Writes the extension for `info` into `boot/ostree/initramfs-overlays/` unless an identical one is
 * there (temp name, fsync, rename). Returns the BLS `initrd` line naming it.
 */
export function writeExtension(sysroot: string, info: ExtensionInfo, f: Fs = nodeFs): string {
  const archive = buildExtension(info);
  const name = extensionFileName(archive);
  const dir = paths.overlayInitrds(sysroot);
  ensureDir(f, dir, 0o755);
  if (!f.lstat(`${dir}/${name}`)) {
    writeFileReplace(f, `${dir}/${name}`, archive, { mode: 0o644, sync: true });
    f.fsync(dir);
  }
  return overlayInitrdLine(name);
}

/** SHA-256 hex of an image file, streamed (the `sha256` of ExtensionInfo). */
export const imageSha256 = (path: string): string => computeBootcsum([path]);

export interface ReadExtension extends ExtensionInfo {
  /** The prepare-root program the archive carries. */
  prepareRoot: string;
  /** True when that program is the one this cfskit writes (an older one means a stale extension). */
  prepareRootCurrent: boolean;
}

/** Parses an extension archive; every missing member or malformed value is a CfsError naming it. */
export function readExtension(bytes: Uint8Array, file = '-'): ReadExtension {
  if (bytes.length > EXTENSION_MAX_BYTES) {
    throw new CfsError(`initramfs extension larger than ${EXTENSION_MAX_BYTES} bytes`, { file, code: 'EEXTENSION' });
  }
  const members = new Map<string, Uint8Array>();
  for (const m of readCpio(bytes, file)) {
    if ((m.mode & S_IFMT) === S_IFREG) members.set(Buffer.from(m.name).toString('latin1'), m.data);
  }
  const text = (path: string): string => {
    const data = members.get(path);
    if (!data) throw new CfsError(`initramfs extension has no ${path}`, { file, field: path, code: 'EEXTENSION' });
    return Buffer.from(data).toString('utf8');
  };
  const config = KeyFile.parse(text(EXTENSION_FILES.config), `${file}:${EXTENSION_FILES.config}`);
  const prConf = KeyFile.parse(text(EXTENSION_FILES.prepareRootConf), `${file}:${EXTENSION_FILES.prepareRootConf}`);
  const get = (kf: KeyFile, path: string, key: string): string => {
    const v = kf.getValue(GROUP, key);
    if (v === undefined) throw new CfsError(`no [${GROUP}] ${key}`, { file: `${file}:${path}`, field: key, code: 'EEXTENSION' });
    return v;
  };
  const info: ExtensionInfo = {
    digest: get(config, EXTENSION_FILES.config, 'digest'),
    image: get(config, EXTENSION_FILES.config, 'image'),
    sha256: get(config, EXTENSION_FILES.config, 'sha256'),
    objects: get(config, EXTENSION_FILES.config, 'objects'),
    deployment: get(config, EXTENSION_FILES.config, 'deployment'),
    composefs: get(prConf, EXTENSION_FILES.prepareRootConf, 'enabled') as ComposefsMode,
  };
  checkInfo(info, file);
  text(EXTENSION_FILES.hook);
  const prepareRoot = text(EXTENSION_FILES.prepareRoot);
  return { ...info, prepareRoot, prepareRootCurrent: prepareRoot === PREPARE_ROOT_SCRIPT };
}
