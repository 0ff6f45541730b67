/**
 * The same tree expressed as a directory (with preserveHardlinks), a GNU tar (plain, gzip, zstd),
 * an OCI image layout and a dumpfile loads to the same tree; the directory's tree is also checked
 * entry by entry against the spec and `fsverity digest`, and the digest store object by object.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { printDump } from '../../../src/composefs/dumpfile/print.js';
import { isReg, type Node, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG } from '../../../src/tree/tree.js';
import { needCommand, runPeer } from '../../helpers/peers.js';
import { canonical, equivalenceTree, gnuTar, materialize, needRoot, writeOciLayout, type EntrySpec } from './fixtures.js';

const TYPE: Record<EntrySpec['type'], number> = {
  dir: S_IFDIR, file: S_IFREG, hardlink: S_IFREG, symlink: S_IFLNK, fifo: S_IFIFO, chr: S_IFCHR, blk: S_IFBLK,
};

function lookup(root: Node, path: Buffer): Node {
  let n: Node | undefined = root;
  for (const part of path.toString('latin1').split('/')) {
    if (part === '.' || part === '') continue;
    n = n?.lookup(Buffer.from(part, 'latin1'));
  }
  if (!n) throw new Error(`missing ${path}`);
  return n;
}

describe('sources: one tree as directory, tar, OCI layout and dumpfile', function () {
  let work: string;
  let spec: EntrySpec[];
  let dirTree: Node;
  let expected: string[];

  before(async function () {
    needRoot(this);
    for (const cmd of ['tar', 'gzip', 'zstd', 'fsverity']) needCommand(this, cmd);
    work = mkdtempSync(join(tmpdir(), 'cfskit-equiv-'));
    spec = equivalenceTree();
    materialize(spec, join(work, 'dir'));
    gnuTar(join(work, 'dir'), join(work, 'layer.tar'));
    dirTree = await loadLocalSource({ kind: 'dir', paths: [join(work, 'dir')], options: { preserveHardlinks: true, digestStore: join(work, 'store') } });
    expected = canonical(dirTree);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the directory tree has every entry as specified (type, mode, owner, mtime, rdev, content)', function () {
    // the expected digests: `fsverity digest` over the spec's contents
    const external = spec.filter((x) => x.content && x.content.length > 64);
    external.forEach((x, i) => writeFileSync(join(work, `content-${i}`), x.content!));
    const r = runPeer('fsverity', ['digest', '--compact', ...external.map((_, i) => join(work, `content-${i}`))]);
    const fsverity = new Map(r.stdout.trim().split('\n').map((d, i) => [external[i].content!.toString('hex'), d]));
    for (const x of spec) {
      const n = lookup(dirTree, x.path).target;
      const where = x.path.toString('latin1');
      expect(n.mode, where).to.equal(TYPE[x.type] | x.mode);
      expect([n.uid, n.gid], where).to.deep.equal([x.uid, x.gid]);
      const [sec, nsec = '0'] = x.mtime.split('.');
      expect(`${n.mtimeSec}.${n.mtimeNsec}`, where).to.equal(`${sec}.${Number(nsec.padEnd(9, '0'))}`);
      if (x.type === 'chr' || x.type === 'blk') {
        expect(n.rdev, where).to.equal(((x.minor! & 0xff) | (x.major! << 8) | ((x.minor! & ~0xff) << 12)) >>> 0);
      }
      if (x.type === 'symlink') expect(Buffer.from(n.payload!).equals(x.target!), where).to.equal(true);
      if (!isReg(n.mode)) continue;
      const size = x.content!.length;
      expect(n.size, where).to.equal(BigInt(size));
      if (size === 0) {
        expect([n.content, n.digest, n.payload], where).to.deep.equal([null, null, null]);
      } else if (size <= 64) {
        expect(Buffer.from(n.content!).equals(x.content!), where).to.equal(true);
        expect(n.digest, where).to.equal(null);
      } else {
        expect(n.content, where).to.equal(null);
        const d = fsverity.get(x.content!.toString('hex'))!;
        expect(Buffer.from(n.digest!).toString('hex'), where).to.equal(d);
        expect(Buffer.from(n.payload!).toString(), where).to.equal(`${d.slice(0, 2)}/${d.slice(2)}`);
      }
    }
  });

  it('hard links share one inode owned by the first path in name order, nlink = number of paths', function () {
    const tool = lookup(dirTree, Buffer.from('a-tool-link'));
    expect(tool.linkTo).to.equal(null);
    expect(tool.nlink).to.equal(3);
    for (const p of ['usr/bin/tool', 'usr/sbin/tool-link']) expect(lookup(dirTree, Buffer.from(p)).linkTo).to.equal(tool);
    const small = lookup(dirTree, Buffer.from('etc/small'));
    expect(small.nlink).to.equal(2);
    expect(lookup(dirTree, Buffer.from('etc/small-link')).linkTo).to.equal(small);
  });

  it('without preserveHardlinks every path is its own inode with nlink 1 (C mkcomposefs 1.0.8)', async function () {
    const t = await loadLocalSource({ kind: 'dir', paths: [join(work, 'dir')] });
    for (const p of ['a-tool-link', 'usr/bin/tool', 'etc/small-link']) {
      const n = lookup(t, Buffer.from(p));
      expect([n.linkTo, n.nlink], p).to.deep.equal([null, 1]);
    }
    expect(lookup(t, Buffer.from('usr/bin/tool')).digest).to.deep.equal(lookup(dirTree, Buffer.from('a-tool-link')).digest);
  });

  it('the digest store holds one object per distinct external content, named by its fs-verity digest', function () {
    const contents = new Set(spec.filter((x) => x.content && x.content.length > 64).map((x) => x.content!.toString('hex')));
    const objects: string[] = [];
    for (const xx of readdirSync(join(work, 'store'))) {
      expect(xx).to.match(/^[0-9a-f]{2}$/);
      for (const rest of readdirSync(join(work, 'store', xx))) objects.push(join(work, 'store', xx, rest));
    }
    expect(objects.length).to.equal(contents.size);
    const r = runPeer('fsverity', ['digest', '--compact', ...objects]);
    expect(r.status).to.equal(0);
    const digests = r.stdout.trim().split('\n');
    objects.forEach((o, i) => expect(o.slice(-65).replace('/', '')).to.equal(digests[i]));
    const stored = new Set(objects.map((o) => readFileSync(o).toString('hex')));
    expect(stored).to.deep.equal(contents);
  });

  for (const [name, compress] of [['plain', null], ['gzip', ['gzip', '-n', '-c']], ['zstd', ['zstd', '-q', '-c']]] as const) {
    it(`a GNU tar (pax format, ${name}) gives the same tree`, async function () {
      let file = join(work, 'layer.tar');
      if (compress) {
        file = join(work, `layer.tar.${name}`);
        const r = spawnSync(compress[0], [...compress.slice(1), join(work, 'layer.tar')], { maxBuffer: 1 << 30 });
        writeFileSync(file, r.stdout);
      }
      const t = await loadLocalSource({ kind: 'tar', paths: [file], options: { digestStore: join(work, 'store') } });
      expect(canonical(t)).to.deep.equal(expected);
    });
  }

  it('an OCI image layout (one gzip layer, tagged) gives the same tree', async function () {
    const tar = readFileSync(join(work, 'layer.tar'));
    const blob = spawnSync('gzip', ['-n', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    writeOciLayout(join(work, 'oci'), [{ blob, tar, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }], 'v1');
    const t = await loadLocalSource({ kind: 'oci', paths: [`${join(work, 'oci')}:v1`] });
    expect(canonical(t)).to.deep.equal(expected);
  });

  it('the dumpfile printed from the tree loads back to the same tree', async function () {
    writeFileSync(join(work, 'tree.dump'), printDump(dirTree));
    const t = await loadLocalSource({ kind: 'dump', paths: [join(work, 'tree.dump')] });
    expect(canonical(t)).to.deep.equal(expected);
  });
});
