/**
 * Kernel discovery in a deployment tree and ostree's boot checksum (ostree.md §3.4,
 * `get_kernel_from_tree()`): in the first `usr/lib/modules/<kver>/` holding a regular `vmlinuz`,
 * take `initramfs.img` (else `initramfs`), `devicetree` (else the `dtb/` directory), `.vmlinuz.hmac`
 * and `aboot.img`. bootcsum = SHA-256 over vmlinuz, then initramfs, then devicetree bytes (or
 * every file under `dtb/`, names sorted per directory with strcmp, depth first).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { type Node, compareBytes, isDir, isReg } from '../tree/tree.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Bytes of one file: a path on disk (read in chunks), inline bytes, or a chunk iterator. */
export type ByteSource = string | Uint8Array | Iterable<Uint8Array>;

export interface KernelLayout {
  kver: string;
  vmlinuz: Node;
  initramfs?: Node;
  devicetree?: Node;
  /** The `dtb/` directory's files in hashing order (when there is no `devicetree` file). */
  dtb?: Node[];
  hmac?: Node;
  aboot?: Node;
}

function walk(root: Node, ...names: string[]): Node | undefined {
  let n: Node | undefined = root;
  for (const name of names) n = n?.lookup(enc(name));
  return n;
}

const sortedChildren = (dir: Node) => [...(dir.children ?? [])].sort((a, b) => compareBytes(a.name, b.name));
const regular = (n: Node | undefined) => (n && isReg(n.target.mode) ? n : undefined);

/** The modern kernel layout of a tree, or undefined when `usr/lib/modules/*` has no `vmlinuz`. */
export function findKernel(root: Node): KernelLayout | undefined {
  const modules = walk(root, 'usr', 'lib', 'modules');
  if (!modules?.children) return undefined;
  for (const dir of sortedChildren(modules)) {
    if (!isDir(dir.mode)) continue;
    const vmlinuz = regular(dir.lookup(enc('vmlinuz')));
    if (!vmlinuz) continue;
    const layout: KernelLayout = { kver: new TextDecoder().decode(dir.name), vmlinuz };
    layout.initramfs = regular(dir.lookup(enc('initramfs.img'))) ?? regular(dir.lookup(enc('initramfs')));
    layout.devicetree = regular(dir.lookup(enc('devicetree')));
    const dtb = dir.lookup(enc('dtb'));
    if (!layout.devicetree && dtb && isDir(dtb.mode)) layout.dtb = dtbFiles(dtb);
    layout.hmac = regular(dir.lookup(enc('.vmlinuz.hmac')));
    layout.aboot = regular(dir.lookup(enc('aboot.img')));
    return layout;
  }
  return undefined;
}

function dtbFiles(dir: Node): Node[] {
  const out: Node[] = [];
  for (const child of sortedChildren(dir)) {
    if (isDir(child.mode)) out.push(...dtbFiles(child));
    else if (isReg(child.target.mode)) out.push(child);
  }
  return out;
}

/** The files hashed into bootcsum, in order (ostree.md §3.4). */
export function bootcsumInputs(k: KernelLayout): Node[] {
  return [k.vmlinuz, ...(k.initramfs ? [k.initramfs] : []), ...(k.devicetree ? [k.devicetree] : k.dtb ?? [])];
}

const CHUNK = 1 << 20;

function update(hash: Hash, src: ByteSource): void {
  if (typeof src === 'string') {
    const fd = openSync(src, 'r');
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0; ) hash.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  } else if (src instanceof Uint8Array) {
    hash.update(src);
  } else {
    for (const chunk of src) hash.update(chunk);
  }
}

/** SHA-256 hex over the sources in order (vmlinuz, initramfs, devicetree…), streamed. */
export function computeBootcsum(sources: ByteSource[]): string {
  const hash = createHash('sha256');
  for (const s of sources) update(hash, s);
  return hash.digest('hex');
}

/** Names of the installed files in `boot/ostree/<stateroot>-<bootcsum>/` (ostree.md §3.4). */
export function bootFileNames(kver: string) {
  return {
    vmlinuz: `vmlinuz-${kver}`,
    initramfs: `initramfs-${kver}.img`,
    devicetree: `devicetree-${kver}`,
    dtb: 'dtb',
    hmac: `.vmlinuz-${kver}.hmac`,
    aboot: `aboot-${kver}.img`,
  };
}
