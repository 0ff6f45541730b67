/**
 * The views `cfskit info` prints straight from an image's bytes (src/composefs/image-views.ts)
 * equal the tree printers' on every vector (C's images and ours), with and without --filter; an
 * image whose directory is out of name order goes to the tree, through the CLI too.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildImage } from '../../src/composefs/index.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { collectObjects, lsChunks } from '../../src/composefs/listing.js';
import { Unsorted, dumpImage, imageObjects, lsImage } from '../../src/composefs/image-views.js';
import { VECTOR_DIR, upstreamAssets } from './vectors.js';
import { runCli } from '../helpers/cli.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

function images(): { name: string; image: Uint8Array }[] {
  const dir = join(VECTOR_DIR, 'random');
  const out = readdirSync(dir)
    .filter((f) => f.endsWith('.cfs.gz'))
    .sort()
    .map((f): { name: string; image: Uint8Array } => ({ name: f, image: new Uint8Array(gunzipSync(readFileSync(join(dir, f)))) }));
  for (const a of upstreamAssets()) {
    const flags = a.version === undefined ? {} : { minVersion: a.version, maxVersion: a.version };
    out.push({ name: a.name, image: buildImage(a.dump, { strict: a.strict, ...flags }).image });
  }
  return out;
}

function expectSameViews(image: Uint8Array, name: string, filter?: Uint8Array[]): void {
  const tree = readImage(image, { filter });
  expect(Buffer.concat(dumpImage(image, { filter })).equals(printDump(tree)), `${name} dump`).to.equal(true);
  expect(Buffer.concat(lsImage(image, { filter })).equals(Buffer.concat([...lsChunks(tree)])), `${name} ls`).to.equal(true);
  const objects = new Set<string>();
  imageObjects(image, objects, { filter });
  const want = new Map<string, Uint8Array>();
  collectObjects(tree, want);
  expect([...objects].sort(), `${name} objects`).to.deep.equal([...want.keys()].sort());
}

describe('info views from the image bytes', () => {
  const all = images();

  it('equal the tree printers on every vector image and upstream asset', () => {
    expect(all.length).to.be.at.least(150);
    for (const { name, image } of all) expectSameViews(image, name);
  });

  it('with --filter: the first and the last root entry of each image', () => {
    for (const { name, image } of all) {
      const names = (readImage(image).children ?? []).map((c) => c.name);
      if (names.length === 0) continue;
      expectSameViews(image, name, [names[0], names[names.length - 1], bytes('absent')]);
    }
  });

  describe('a root whose entries are stored out of name order', () => {
    // "a" and "b" swapped in the root's names (".", "..", the whiteout stubs "00".."ff" with "a"
    // after "9f" and "b" after "af"): C's loader sorts them, the scan hands over.
    const dump = '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 1 100644 1 0 0 0 0.0 - x -\n/b 2 100600 1 0 0 0 0.0 - yz -\n';
    const image = buildImage(bytes(dump), { strict: true }).image;
    const swapped = new Uint8Array(image);
    const text = Buffer.from(swapped).toString('latin1');
    const a = text.indexOf('9fa') + 2;
    const b = text.indexOf('afb') + 2;
    swapped[a] = 0x62;
    swapped[b] = 0x61;

    it('makes the scan throw Unsorted', () => {
      expect(a).to.be.greaterThan(2);
      expect(b).to.be.greaterThan(2);
      expect(() => dumpImage(swapped)).to.throw(Unsorted);
      expect(Buffer.from(printDump(readImage(swapped))).toString()).to.match(/^\/a 2 100600 .*\n\/b 1 100644 /m);
    });

    it('cfskit info dump and ls print the tree then', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cfskit-views-'));
      try {
        const file = join(dir, 'swapped.cfs');
        writeFileSync(file, swapped);
        const dumped = await runCli(['info', 'dump', file]);
        expect(dumped.status).to.equal(0);
        expect(dumped.stdout).to.equal(Buffer.from(printDump(readImage(swapped))).toString('utf8'));
        const listed = await runCli(['info', 'ls', file]);
        expect(listed.stdout).to.equal('/a\n/b\n');
        // "a" renamed "b" as well: the tree refuses the duplicate, one line and exit 1
        const duplicate = new Uint8Array(swapped);
        duplicate[b] = 0x62;
        writeFileSync(file, duplicate);
        const refused = await runCli(['info', 'dump', file]);
        expect(refused.internal).to.equal(undefined);
        expect([refused.status, refused.stdout]).to.deep.equal([1, '']);
        expect(refused.stderr).to.match(/duplicate name in directory/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
