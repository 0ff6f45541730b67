/**
 * Test trees for the image sources: a declarative list of entries that can be materialized as a
 * directory (then tarred by GNU tar, the real peer), plus a canonical text form of a loaded tree
 * so trees from different sources can be compared line by line.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { compareBytes, type Node } from '../../../src/tree/tree.js';

export interface EntrySpec {
  path: Buffer;
  type: 'dir' | 'file' | 'symlink' | 'hardlink' | 'fifo' | 'chr' | 'blk';
  mode: number;
  uid: number;
  gid: number;
  mtime: string;
  content?: Buffer;
  target?: Buffer;
  major?: number;
  minor?: number;
}

/** Deterministic bytes: byte i = (i * 131 + seed) & 0xff with a seed-dependent twist. */
export function contentOf(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + (i >> 12) * 7 + seed * 29) & 0xff;
  return b;
}

const MTIMES = ['1700000000.123456789', '1600000000.000000000', '0.000000000', '1700000000.999999999', '1234567890.000000001'];

/**
 * The equivalence tree: sizes 0/1/63/64/65/4095/4096/4097/100000/1 MiB+1, duplicate contents,
 * hard links across directories, long and non-UTF-8 names, a deep path, symlinks (one 1200 bytes
 * long), a fifo, devices (one of them the 0/0 whiteout), setuid/sticky/0000 modes, uid/gid
 * beyond 16 and 21 bits, nanosecond mtimes, and a directory of `bigDir` entries.
 */
export function equivalenceTree(bigDir = 10_000, withDevices = true): EntrySpec[] {
  const e: EntrySpec[] = [];
  let n = 0;
  const add = (path: string | Buffer, type: EntrySpec['type'], extra: Partial<EntrySpec> = {}): void => {
    n++;
    const mode = extra.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644);
    e.push({ path: Buffer.isBuffer(path) ? path : Buffer.from(path), type, mode, uid: 0, gid: 0, mtime: MTIMES[n % MTIMES.length], ...extra });
  };
  add('.', 'dir', { mode: 0o755, mtime: '1700000001.5' });
  add('etc', 'dir');
  add('usr', 'dir', { uid: 3_000_000, gid: 70_000 });
  add('usr/bin', 'dir');
  add('usr/sbin', 'dir', { mode: 0o700 });
  add('tmp', 'dir', { mode: 0o1777 });
  add('srv', 'dir', { mode: 0o2755, uid: 100_000, gid: 100_001 });
  const sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 100_000, (1 << 20) + 1];
  sizes.forEach((size, i) => add(`etc/size-${size}`, 'file', { content: contentOf(i, size), uid: i * 1000 }));
  add('srv/dup-65', 'file', { content: contentOf(4, 65) });
  add('usr/dup-100000', 'file', { content: contentOf(8, 100_000), mode: 0o600 });
  add('usr/bin/setuid', 'file', { content: contentOf(20, 300), mode: 0o4755 });
  add('usr/bin/none', 'file', { content: contentOf(21, 70), mode: 0 });
  const tool = { content: contentOf(30, 5000), mode: 0o755, uid: 12, gid: 34, mtime: MTIMES[0] };
  add('usr/bin/tool', 'file', tool);
  add('usr/sbin/tool-link', 'hardlink', { ...tool, target: Buffer.from('usr/bin/tool') });
  add('a-tool-link', 'hardlink', { ...tool, target: Buffer.from('usr/bin/tool') });
  const small = { content: Buffer.from('tiny file\n'), mtime: MTIMES[1] };
  add('etc/small', 'file', small);
  add('etc/small-link', 'hardlink', { ...small, target: Buffer.from('etc/small') });
  add('etc/' + 'L'.repeat(255), 'file', { content: contentOf(40, 200) });
  add(Buffer.concat([Buffer.from('etc/bin-'), Buffer.from([0xff, 0xfe, 0x80])]), 'file', { content: contentOf(41, 66), mtime: '1600000000' });
  add('etc/with space\tand tab', 'file', { content: Buffer.from('x') });
  add('etc/sl-rel', 'symlink', { target: Buffer.from('../usr/bin/tool') });
  add('etc/sl-abs', 'symlink', { target: Buffer.from('/nonexistent/target'), uid: 5, gid: 6 });
  add('etc/sl-long', 'symlink', { target: Buffer.from('a/'.repeat(600)) });
  add('tmp/fifo', 'fifo', { mode: 0o600 });
  if (withDevices) {
    add('dev', 'dir');
    add('dev/null', 'chr', { major: 1, minor: 3, mode: 0o666 });
    add('dev/loop0', 'blk', { major: 7, minor: 0, mode: 0o660, gid: 6 });
    add('dev/big', 'chr', { major: 300, minor: 70_000 });
    add('dev/whiteout', 'chr', { major: 0, minor: 0 });
  }
  let deep = 'deep';
  add(deep, 'dir');
  for (let i = 0; i < 40; i++) {
    deep += `/level-${String(i).padStart(2, '0')}`;
    add(deep, 'dir');
  }
  add(`${deep}/leaf`, 'file', { content: contentOf(50, 65) });
  if (bigDir > 0) {
    add('big', 'dir');
    for (let i = 0; i < bigDir; i++) add(`big/f${String(i).padStart(5, '0')}`, 'file', { content: contentOf(i, i % 4), mtime: MTIMES[1] });
  }
  return e;
}

/** Creates the entries under `dir` (which must not exist), owners and modes and nanosecond mtimes included. */
export function materialize(entries: EntrySpec[], dir: string): void {
  const root = Buffer.from(dir);
  const at = (p: Buffer): Buffer => (p.equals(Buffer.from('.')) ? root : Buffer.concat([root, Buffer.from('/'), p]));
  for (const x of entries) {
    const p = at(x.path);
    switch (x.type) {
      case 'dir': mkdirSync(p, { recursive: true }); break;
      case 'file': writeFileSync(p, x.content!); break;
      case 'symlink': symlinkSync(x.target!, p); break;
      case 'hardlink': linkSync(at(x.target!), p); continue;
      case 'fifo': run('mkfifo', [p]); break;
      case 'chr':
      case 'blk': run('mknod', [p, x.type === 'chr' ? 'c' : 'b', String(x.major), String(x.minor)]); break;
    }
    lchownSync(p, x.uid, x.gid);
    if (x.type !== 'symlink') chmodSync(p, x.mode);
  }
  // mtimes last (creating children changes a directory's mtime); one `touch` per distinct time.
  const byTime = new Map<string, Buffer[]>();
  for (const x of entries) {
    if (x.type === 'hardlink') continue;
    if (!Buffer.from(x.path.toString()).equals(x.path)) {
      // `touch` cannot be given a non-UTF-8 name: whole seconds through utimes are exact.
      lutimesSync(at(x.path), Number(x.mtime), Number(x.mtime));
      continue;
    }
    const list = byTime.get(x.mtime) ?? [];
    list.push(at(x.path));
    byTime.set(x.mtime, list);
  }
  for (const [t, paths] of byTime) {
    for (let i = 0; i < paths.length; i += 2000) run('touch', ['-h', '-d', `@${t}`, '--', ...paths.slice(i, i + 2000)]);
  }
}

function run(cmd: string, args: (string | Buffer)[]): void {
  const r = spawnSync(cmd, args as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

/** GNU tar (the peer) of a directory, `.` as the root entry. */
export function gnuTar(dir: string, out: string, format: 'posix' | 'gnu' | 'ustar' = 'posix'): void {
  run('tar', [`--format=${format}`, '--numeric-owner', '-C', dir, '-cf', out, '.']);
}

const hex = (b: Uint8Array | null): string => (b ? Buffer.from(b).toString('hex') : '-');

/**
 * One line per entry, depth-first in name order: every field a source sets. Aliases print their
 * target's path; directory sizes and nlinks are left out (the writer computes them).
 */
export function canonical(root: Node): string[] {
  const out: string[] = [];
  const visit = (n: Node): void => {
    const path = hex(n.path());
    if (n.linkTo) {
      out.push(`${path} @${n.mode.toString(8)} -> ${hex(n.linkTo.path())}`);
    } else {
      const dir = n.children !== null;
      const xattrs = [...n.xattrs].sort((a, b) => compareBytes(a.key, b.key)).map((x) => `${hex(x.key)}=${hex(x.value)}`);
      out.push([path, n.mode.toString(8), dir ? '' : n.nlink, n.uid, n.gid, n.rdev, `${n.mtimeSec}.${n.mtimeNsec}`, dir ? '' : n.size,
        hex(n.payload), hex(n.content), hex(n.digest), ...xattrs].join(' '));
    }
    for (const c of [...(n.children ?? [])].sort((a, b) => compareBytes(a.name, b.name))) visit(c);
  };
  visit(root);
  return out;
}

export function sha256hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** An OCI image layout with one manifest (tagged `tag`), its layers given as blob bytes + uncompressed tar. */
export function writeOciLayout(dir: string, layers: { blob: Buffer; tar: Buffer; mediaType: string }[], tag = 'latest'): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const h = sha256hex(data);
    writeFileSync(join(dir, 'blobs', 'sha256', h), data);
    return { digest: `sha256:${h}`, size: data.length };
  };
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha256hex(l.tar)}`) },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
    layers: layers.map((l) => ({ mediaType: l.mediaType, ...put(l.blob) })),
  }));
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** Skips (or fails under CFSKIT_REQUIRE_PEERS) unless root: the trees need chown and mknod. */
export function needRoot(ctx: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CFSKIT_REQUIRE_PEERS === '1') throw new Error('these tests need root (chown, mknod) and CFSKIT_REQUIRE_PEERS=1');
  console.log('      (skipped: not root, cannot create owners and device nodes)');
  ctx.skip();
}
