/**
 * The EROFS writer against the reference vectors: every upstream asset with a dump, all random
 * vectors in both format versions (image sha256 equal, or refused with C's message), and the
 * worked examples of composefs-image.md §2.13 / §6.3.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { CfsError } from '../../src/errors.js';
import { MINI_DUMP, MINI_SHA256_V1, RANDOM_VARIANTS, randomVectors, upstreamAssets } from './vectors.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();

function build(dump: Uint8Array | string, opts: { strict?: boolean; minVersion?: number; maxVersion?: number } = {}) {
  const root = parseDump(typeof dump === 'string' ? enc.encode(dump) : dump, { strict: opts.strict ?? true });
  return writeImage(root, opts).image;
}

describe('EROFS writer: upstream assets (composefs-image.md §6.2)', () => {
  for (const a of upstreamAssets()) {
    it(`${a.name}${a.version === undefined ? '' : ` (version ${a.version})`}${a.strict ? '' : ' non-strict'}`, () => {
      const versions = a.version === undefined ? {} : { minVersion: a.version, maxVersion: a.version };
      expect(sha256(build(a.dump, { strict: a.strict, ...versions }))).to.equal(a.sha256);
    });
  }
});

describe('EROFS writer: random vectors, both versions', () => {
  for (const v of randomVectors()) {
    it(v.name, () => {
      const root = parseDump(v.dump, { strict: true, file: v.name });
      v.expect.forEach((want, i) => {
        if ('sha256' in want) {
          expect(sha256(writeImage(root, RANDOM_VARIANTS[i]).image), `v${i}`).to.equal(want.sha256);
        } else {
          expect(() => writeImage(root, RANDOM_VARIANTS[i]), `v${i}`).to.throw(CfsError, want.fail);
        }
      });
    });
  }
});

describe('EROFS writer: worked examples (composefs-image.md §2.13, §6.3)', () => {
  it('empty root: 16384 bytes, 257 inodes', () => {
    const img = build('/ 4096 40755 2 0 0 0 0.0 - - -\n');
    expect(img.length).to.equal(16384);
    expect(sha256(img)).to.equal('c3dc5b0fc4afb0693a95e017fe5815e1f88f204d485df617541b5ea659aefb8b');
    const dv = new DataView(img.buffer, img.byteOffset);
    expect(dv.getUint16(1024 + 0x0e, true), 'root nid').to.equal(36);
    expect(Number(dv.getBigUint64(1024 + 0x10, true)), 'inos').to.equal(257);
  });

  it('"simple" tree of every file type', () => {
    const payload = `5a/${'5a'.repeat(31)}`;
    const dump = [
      '/ 0 40755 2 0 0 0 0.0 - - -',
      '/blkdev 0 60000 1 0 0 123 0.0 - - -',
      '/chrdev 0 20000 1 0 0 123 0.0 - - -',
      '/fifo 0 10000 1 0 0 0 0.0 - - -',
      `/regular-external 1234 100000 1 0 0 0 0.0 ${payload} - ${'5a'.repeat(32)}`,
      '/regular-inline 4 100000 1 0 0 0 0.0 - hihi -',
      '/socket 0 140000 1 0 0 0 0.0 - - -',
      '/symlink 7 120000 1 0 0 0 0.0 /target - -',
      '',
    ].join('\n');
    expect(sha256(build(dump))).to.equal('850f94a6374fc4a920e8bc65d10bac1d1e2f3dd7b5c203d351e3ed74c08398aa');
  });

  it('"mini" feature mix in every version combination', () => {
    const dump = MINI_DUMP;
    const v1 = MINI_SHA256_V1;
    expect(sha256(build(dump))).to.equal(v1);
    expect(build(dump).length).to.equal(24576);
    expect(sha256(build(dump, { minVersion: 1, maxVersion: 1 }))).to.equal(v1);
    expect(sha256(build(dump, { minVersion: 0, maxVersion: 0 }))).to.equal(
      '826662e22c47880db2bb3795b98e2d230bc0447759f918407a35b51fedda435a');
  });

  it('special.dump with default flags upgrades to version 1 (= special_v1)', () => {
    const special = upstreamAssets().find((a) => a.name === 'special.dump')!;
    const v1 = upstreamAssets().find((a) => a.name === 'special_v1.dump')!;
    expect(sha256(build(special.dump))).to.equal(v1.sha256);
  });
});
