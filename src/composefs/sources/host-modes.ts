/**
 * Directory sources on hosts without POSIX metadata (docs/FORMAT.md "Directory sources without POSIX
 * metadata"): Windows, and FAT, exFAT, SMB/CIFS or ntfs3 mounts on Linux, report made-up modes
 * (0666/0777), no owners and no exec bits. There the tree gets the policy below instead; `--overrides`
 * or a tar/OCI source state the real values.
 */
import { closeSync, openSync, readSync, statfsSync } from 'node:fs';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../tree/tree.js';

/** statfs(2) f_type of Linux filesystems whose modes and owners are mount options, not stored. */
const NON_POSIX_FS_TYPES = new Set([
  0x4d44, // msdos, vfat
  0x2011bab0, // exfat
  0x517b, // smb
  0xff534d42, // cifs
  0xfe534d42, // smb2
  0x7366746e, // ntfs3
]);

export const POLICY_DIR_MODE = S_IFDIR | 0o755;
export const POLICY_FILE_MODE = S_IFREG | 0o644;
export const POLICY_EXEC_MODE = S_IFREG | 0o755;
/** Bytes of a file's head that decide its exec bit. */
const POLICY_HEAD_BYTES = 4;

const SHEBANG = [0x23, 0x21];
const ELF = [0x7f, 0x45, 0x4c, 0x46];

/**
 * Whether lstat of the directory `dir` gives real POSIX modes and owners: never on win32; on Linux
 * unless its filesystem is one of NON_POSIX_FS_TYPES (mounts below `dir` are not looked at). Other
 * platforms' filesystem numbers are not fixed: they count as POSIX.
 */
export function hasPosixMetadata(dir: string | Buffer, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32') return false;
  if (platform !== 'linux') return true;
  return !NON_POSIX_FS_TYPES.has(Number(statfsSync(dir).type));
}

/** The policy's mode for an entry of type `type` (S_IFMT bits) whose first bytes are `head`. */
export function policyMode(type: number, head: Uint8Array): number {
  if (type === S_IFDIR) return POLICY_DIR_MODE;
  if (type === S_IFLNK) return S_IFLNK | 0o777;
  if (type !== S_IFREG) return type | 0o644;
  return startsWith(head, SHEBANG) || startsWith(head, ELF) ? POLICY_EXEC_MODE : POLICY_FILE_MODE;
}

/** The first POLICY_HEAD_BYTES bytes of a file (fewer when it is shorter). */
export function readHead(path: Buffer): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(POLICY_HEAD_BYTES);
    return head.subarray(0, readSync(fd, head, 0, POLICY_HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

const perm = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

export const POLICY_WARNING =
  `modes and owners of a directory source are not real on this host: directories get ${perm(POLICY_DIR_MODE)}, ` +
  `files ${perm(POLICY_FILE_MODE)} (${perm(POLICY_EXEC_MODE)} with a #! or ELF header), owner 0:0; ` +
  'state the truth with --overrides, or use a tar/OCI source';

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}
