/**
 * composefs-info views of images (composefs-image.md §3.7, §4.2): the C outputs composefs-image.md records, the
 * `ls`/`objects` formats, and on every vector: round trips image → dump → image, `info dump` of
 * the C image equal to `info dump` of ours, objects and ls derived from the source dumpfiles.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { buildImage } from '../../src/composefs/index.js';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { collectObjects, lsChunks, sortedObjects } from '../../src/composefs/listing.js';
import { Node, S_IFMT, S_IFREG } from '../../src/tree/tree.js';
import { MINI_DIGEST, MINI_DUMP, MINI_PAYLOAD, MINI_SHA256_V1, RANDOM_VARIANTS, randomVectors, upstreamAssets } from './vectors.js';
import { expectedTree, firstDifference, roundTripHazards } from './reader-model.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ls = (root: Node): string => text(Buffer.concat([...lsChunks(root)]));
const objects = (root: Node): string[] => {
  const map = new Map<string, Uint8Array>();
  collectObjects(root, map);
  return sortedObjects(map.values()).map(text);
};
/** Image → composefs-info dump → tree (what `composefs-info dump IMAGE | mkcomposefs --from-file -` reads). */
const reparse = (image: Uint8Array): Node => parseDump(printDump(readImage(image)), { strict: true });

const P = MINI_PAYLOAD;
const D = MINI_DIGEST;

describe('composefs info', () => {
  it('dumps the composefs-image.md §6.3 "mini" image exactly as composefs-info does', () => {
    const { image } = buildImage(bytes(MINI_DUMP), { strict: true });
    expect(sha256(image)).to.equal(MINI_SHA256_V1);
    expect(text(printDump(readImage(image)))).to.equal(
      [
        '/ 4096 40755 3 0 0 0 1700000000.5 - - - user.note=hello\\x20world security.selinux=system_u:object_r:root_t:s0\\x00',
        '/dev 0 20644 1 0 0 259 1700000000.5 - - -',
        '/dir 56 40700 2 1000 1000 0 1700000001.0 - - - trusted.overlay.opaque=x user.overlay.opaque=x security.selinux=system_u:object_r:root_t:s0\\x00',
        `/dir/ext 123456 100644 2 1000 1000 0 1700000000.5 ${P} - ${D} trusted.overlay.metacopy=x`,
        '/dir/wh 0 20000 1 0 0 0 1700000000.5 - - -',
        '/fifo 0 10644 1 0 0 0 1700000000.5 - - -',
        `/hl 123456 @100644 2 1000 1000 0 1700000000.5 /dir/ext - ${D} trusted.overlay.metacopy=x`,
        '/inline 5 100644 1 0 0 0 1700000000.5 - hello - user.a=1',
        '/link 11 120777 1 70000 0 0 1700000000.5 /etc/passwd - -',
        '/nodig 5000000000 100600 1 0 0 0 1700000000.5 - - -',
        '/sock 0 140755 1 0 0 0 1700000000.5 - - -',
        '',
      ].join('\n'),
    );
  });

  it('--filter loads only the named root entries (tests/test-dump-filtered.sh)', () => {
    const special = upstreamAssets().find((a) => a.name === 'special.dump')!;
    const { image } = buildImage(special.dump, { strict: true, minVersion: 0, maxVersion: 0 });
    const root = readImage(image, { filter: ['chardev', 'inline', 'whiteout'].map(bytes) });
    const lines = text(printDump(root)).split('\n');
    expect(lines.pop()).to.equal('');
    expect(lines).to.have.length(4);
    expect(lines[0]).to.match(/^\/ 4096 40555.*trusted\.foo1/);
    expect(lines[1]).to.match(/^\/chardev 0 20777/);
    expect(lines[2]).to.match(/^\/inline 15 100777.*FOOBAR/);
    expect(lines[3]).to.match(/^\/whiteout 0 20777/);
  });

  it('prints the escapes of composefs-image.md §3.2: lone dash, "=" in xattrs, controls and high bytes', () => {
    const dump = [
      '/ 4096 40755 2 0 0 0 0.0 - - - user.k\\x3dey=v\\x3d- user.dash=- user.empty=',
      '/dash 1 100644 1 0 0 0 0.0 - \\x2d - user.x=\\x00\\x7f\\xff',
      '/s\\x20p\\tc\\\\ 0 100644 1 0 0 0 -5.1000000000 - - -',
      '/sym 1 120777 1 0 0 0 0.0 \\x2d - -',
      '',
    ].join('\n');
    const root = readImage(buildImage(bytes(dump), { strict: true }).image);
    expect(text(printDump(root))).to.equal(
      [
        '/ 4096 40755 2 0 0 0 0.0 - - - user.dash=- user.empty= user.k\\x3dey=v\\x3d-',
        '/dash 1 100644 1 0 0 0 0.0 - \\x2d - user.x=\\x00\\x7f\\xff',
        '/s\\x20p\\tc\\\\ 0 100644 1 0 0 0 -5.1000000000 - - -',
        '/sym 1 120777 1 0 0 0 0.0 \\x2d - -',
        '',
      ].join('\n'),
    );
  });

  it('ls: "/" + TAB for directories, "-> " targets, "@ " objects, spaces literal', () => {
    const dump = [
      '/ 4096 40755 3 0 0 0 0.0 - - -',
      '/a\\x20b 0 100644 1 0 0 0 0.0 - - -',
      `/big 5000000 100644 1 0 0 0 0.0 ${P} - ${D}`,
      '/dev 0 20644 1 0 0 259 0.0 - - -',
      '/hl 0 @100644 - - - - - /sub/f - -',
      '/lnk 5 120777 1 0 0 0 0.0 small - -',
      '/sub 4096 40755 2 0 0 0 0.0 - - -',
      '/sub/f 3 100644 2 0 0 0 0.0 - abc -',
      '/sub/t\\tx\\xff= 0 100644 1 0 0 0 0.0 - - -',
      '/wh 0 20000 1 0 0 0 0.0 - - -',
      '',
    ].join('\n');
    const root = readImage(buildImage(bytes(dump), { strict: true }).image);
    expect(ls(root)).to.equal(
      [
        '/a b',
        `/big\t@ ${P}`,
        '/dev',
        '/hl',
        '/lnk\t-> small',
        '/sub/\t',
        '/sub/f',
        '/sub/t\\tx\\xff=',
        '/wh',
        '',
      ].join('\n'),
    );
    expect(objects(root)).to.deep.equal([P]);
  });

  describe('upstream assets: composefs-info dump | mkcomposefs reproduces the image (composefs-image.md §6.1 step 5)', () => {
    for (const asset of upstreamAssets()) {
      it(asset.name, () => {
        const flags = asset.version === undefined ? {} : { minVersion: asset.version, maxVersion: asset.version };
        const { image } = buildImage(asset.dump, { strict: asset.strict, ...flags });
        expect(sha256(image)).to.equal(asset.sha256);
        const again = buildImage(reparse(image), flags).image;
        expect(sha256(again)).to.equal(asset.sha256);
      });
    }
  });

  describe('random vectors', () => {
    const vectors = randomVectors().flatMap((v) =>
      ([0, 1] as const).flatMap((version) => {
        const file = v.path.replace(/\.dump\.gz$/, `.v${version}.cfs.gz`);
        return existsSync(file) ? [{ ...v, version, file }] : [];
      }),
    );
    const cImage = (file: string): Uint8Array => new Uint8Array(gunzipSync(readFileSync(file)));
    const source = (v: { dump: Uint8Array; name: string }): Node => parseDump(v.dump, { strict: true, file: v.name });

    it('info dump of the C image equals info dump of ours, for every vector', () => {
      expect(vectors).to.have.length(138);
      for (const v of vectors) {
        const ours = buildImage(source(v), RANDOM_VARIANTS[v.version]).image;
        expect(firstDifference(printDump(readImage(ours)), printDump(readImage(cImage(v.file)))), v.file).to.equal(null);
      }
    });

    it('image → info dump → image gives identical bytes, except the documented read-back hazards', () => {
      let identical = 0;
      for (const v of vectors) {
        const image = cImage(v.file);
        const again = buildImage(reparse(image), RANDOM_VARIANTS[v.version]).image;
        // The loaded tree itself (aliases with mode 0, as C's loader makes them) builds the same image.
        expect(sha256(buildImage(readImage(image), RANDOM_VARIANTS[v.version]).image), v.file).to.equal(sha256(again));
        const hazards = roundTripHazards(source(v));
        if (hazards.length === 0) {
          expect(sha256(again), `${v.file}`).to.equal(sha256(image));
          identical++;
        }
      }
      // 96 of the 138 images have none of the hazards of composefs-image.md §3.7 / §2.12.
      expect(identical).to.equal(96);
    });

    it('objects: the sorted unique backing paths of the external files of the source dump', () => {
      for (const v of vectors) {
        const want = new Set<string>();
        const stack = [source(v)];
        while (stack.length) {
          const n = stack.pop()!;
          stack.push(...(n.children ?? []).filter((c) => !c.linkTo));
          const external = (n.mode & S_IFMT) === S_IFREG && n.size > 0n && n.content === null;
          const becomesWhiteout = n.xattrs.some((x) => text(x.key) === 'trusted.overlay.whiteout');
          if (external && n.payload && n.payload.length > 0 && !becomesWhiteout) want.add(text(n.payload));
        }
        expect(objects(readImage(cImage(v.file))), v.file).to.deep.equal([...want].sort((a, b) => Buffer.compare(bytes(a), bytes(b))));
      }
    });

    it('ls: one line per source entry but the root, as the loader model lists them', () => {
      for (const v of vectors) {
        const got = ls(readImage(cImage(v.file)));
        const entries = text(v.dump).split('\n').filter((l) => l.length > 0).length - 1;
        expect(got.split('\n').length - 1, v.file).to.equal(entries);
        expect(got, v.file).to.equal(ls(expectedTree(source(v), v.version)));
      }
    });
  });
});
