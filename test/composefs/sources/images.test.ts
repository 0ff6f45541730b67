/**
 * Images from the sources: the same tree as directory, tar (plain, gzip, zstd), OCI layout and
 * dumpfile gives byte-identical images; and the kernel (EROFS + overlayfs over the digest store)
 * shows every path of the source directory with its type, mode, owner, size, mtime, link count,
 * symlink target and content.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../../src/composefs/index.js';
import { printDump } from '../../../src/composefs/dumpfile/print.js';
import { loadLocalSource, type SourceSpec } from '../../../src/composefs/sources/index.js';
import { mountComposefsOverlay, mountErofs, needCommand, needMount } from '../../helpers/peers.js';
import { equivalenceTree, gnuTar, materialize, needRoot, sha256hex, writeOciLayout } from './fixtures.js';

describe('sources: images and the kernel', function () {
  let work: string;
  let image: Uint8Array;

  before(async function () {
    needRoot(this);
    for (const cmd of ['tar', 'gzip', 'zstd']) needCommand(this, cmd);
    work = mkdtempSync(join(tmpdir(), 'cfskit-images-'));
    // no 0/0 device here: the image turns it into an overlay whiteout, which the mount hides
    materialize(equivalenceTree(2000).filter((x) => !(x.type === 'chr' && x.major === 0)), join(work, 'dir'));
    gnuTar(join(work, 'dir'), join(work, 'layer.tar'));
    image = buildImage(
      await loadLocalSource({ kind: 'dir', paths: [join(work, 'dir')], options: { preserveHardlinks: true, digestStore: join(work, 'store') } }),
    ).image;
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('directory, tar (plain, gzip, zstd), OCI layout and dumpfile give byte-identical images', async function () {
    const tar = readFileSync(join(work, 'layer.tar'));
    const gz = spawnSync('gzip', ['-n', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    writeFileSync(join(work, 'layer.tar.gz'), gz);
    writeFileSync(join(work, 'layer.tar.zst'), spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout);
    writeOciLayout(join(work, 'oci'), [{ tar, blob: gz, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]);
    const dirTree = await loadLocalSource({ kind: 'dir', paths: [join(work, 'dir')], options: { preserveHardlinks: true } });
    writeFileSync(join(work, 'tree.dump'), printDump(dirTree));
    const specs: SourceSpec[] = [
      { kind: 'tar', paths: [join(work, 'layer.tar')] },
      { kind: 'tar', paths: [join(work, 'layer.tar.gz')] },
      { kind: 'tar', paths: [join(work, 'layer.tar.zst')], options: { digestStore: join(work, 'store') } },
      { kind: 'oci', paths: [join(work, 'oci')] },
      { kind: 'dump', paths: [join(work, 'tree.dump')] },
    ];
    const want = sha256hex(image);
    expect(sha256hex(buildImage(dirTree).image), 'directory without a store').to.equal(want);
    for (const spec of specs) expect(sha256hex(buildImage(await loadLocalSource(spec)).image), `${spec.kind} ${spec.paths[0]}`).to.equal(want);
  });

  it('mounted (EROFS + overlayfs over the digest store), every path matches the source directory', function () {
    needMount(this);
    const img = join(work, 'image.cfs');
    writeFileSync(img, image);
    const erofsMnt = join(work, 'erofs');
    const mnt = join(work, 'mnt');
    mkdirSync(erofsMnt);
    mkdirSync(mnt);
    const umountErofs = mountErofs(img, erofsMnt);
    try {
      const umountOverlay = mountComposefsOverlay(erofsMnt, join(work, 'store'), mnt);
      try {
        const src = Buffer.from(join(work, 'dir'));
        const seen = compareTrees(src, Buffer.from(mnt));
        expect(seen).to.be.greaterThan(2000);
      } finally {
        umountOverlay();
      }
    } finally {
      umountErofs();
    }
  });
});

/** Compares two trees path by path (names as bytes); returns the number of entries compared. */
function compareTrees(a: Buffer, b: Buffer): number {
  let count = 0;
  const stack: Buffer[] = [Buffer.alloc(0)];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    const pa = Buffer.concat([a, rel]);
    const pb = Buffer.concat([b, rel]);
    const sa = lstatSync(pa, { bigint: true });
    const sb = lstatSync(pb, { bigint: true });
    const where = rel.toString('latin1') || '/';
    expect([sb.mode, sb.uid, sb.gid, sb.mtimeNs], where).to.deep.equal([sa.mode, sa.uid, sa.gid, sa.mtimeNs]);
    count++;
    if (sa.isDirectory()) {
      const names = (readdirSync(pa, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
      const namesB = (readdirSync(pb, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
      expect(namesB.map((n) => n.toString('hex')), where).to.deep.equal(names.map((n) => n.toString('hex')));
      for (const n of names) stack.push(Buffer.concat([rel, Buffer.from('/'), n]));
      continue;
    }
    expect([sb.size, sb.nlink, sb.rdev], where).to.deep.equal([sa.size, sa.nlink, sa.rdev]);
    if (sa.isSymbolicLink()) expect(readlinkSync(pb, { encoding: 'buffer' }).equals(readlinkSync(pa, { encoding: 'buffer' })), where).to.equal(true);
    if (sa.isFile()) expect(readFileSync(pb).equals(readFileSync(pa)), where).to.equal(true);
  }
  return count;
}
