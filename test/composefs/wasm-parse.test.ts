/**
 * The Wasm dumpfile parser (assembly/composefs/dumpfile.ts) against the JS parser on every
 * composefs vector, strict and non-strict, whole and in small chunks: the same refusal line, or the
 * same image (or writer error) as JS writeImage(parseDump(...)).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { buildWasmImage, WasmDumpRejected } from '../../src/wasm/composefs.js';
import { comparable, DEFAULT_BUILD, jsOutcome, wasmOutcome } from './wasm-differential.js';
import { MINI_DUMP, MINI_SHA256_V1, RANDOM_VARIANTS, randomVectors, shouldFailAssets, upstreamAssets } from './vectors.js';

const enc = new TextEncoder();

/** Same outcome in Wasm (whole, and in chunks of each size) as in JS. */
function expectSame(dump: Uint8Array, opts = DEFAULT_BUILD, chunkSizes: number[] = [1, 97, 4096]): string {
  const want = comparable(jsOutcome(dump, opts));
  expect(comparable(wasmOutcome(dump, opts)), 'whole').to.equal(want);
  for (const size of chunkSizes) expect(comparable(wasmOutcome(dump, opts, size)), `chunks of ${size}`).to.equal(want);
  return want;
}

describe('Wasm dumpfile parser: upstream assets, as the harness builds them and the other mode', () => {
  for (const a of upstreamAssets()) {
    const versions = a.version === undefined ? {} : { minVersion: a.version, maxVersion: a.version };
    for (const strict of [a.strict, !a.strict]) {
      it(`${a.name}${strict ? '' : ' non-strict'}`, () => {
        const small = a.dump.length < 100_000 ? [1, 97, 4096] : [65536];
        expectSame(a.dump, { ...DEFAULT_BUILD, ...versions, strict }, small);
      });
    }
  }
});

describe('Wasm dumpfile parser: should-fail assets (refused by the parser or the writer)', () => {
  for (const a of shouldFailAssets()) {
    for (const strict of [true, false]) {
      it(`${a.name}${strict ? '' : ' non-strict'}`, () => {
        expectSame(a.dump, { ...DEFAULT_BUILD, strict });
      });
    }
  }
});

describe('Wasm dumpfile parser: random vectors, both versions, strict and not', () => {
  for (const v of randomVectors()) {
    it(v.name, () => {
      for (const variant of RANDOM_VARIANTS) {
        for (const strict of [true, false]) expectSame(v.dump, { ...DEFAULT_BUILD, ...variant, strict }, [1000]);
      }
    });
  }
});

describe('Wasm dumpfile parser: line shapes', () => {
  const root = '/ 4096 40755 2 0 0 0 0.0 - - -';
  const cases: [string, string][] = [
    ['empty input', ''],
    ['only a newline', '\n'],
    ['no root', '/a 0 100644 1 0 0 0 0.0 - - -\n'],
    ['root only', `${root}\n`],
    ['no trailing newline', root],
    ['embedded NUL', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - user.x=a\0b\n`],
    ['embedded NUL in the unfinished last line', `${root}\n/a\0`],
    ['relative path under the root', `${root}\na 0 100644 1 0 0 0 0.0 - - -\n`],
    ['doubled slashes', `${root}\n/d 0 40755 2 0 0 0 0.0 - - -\n//d//f 0 100644 1 0 0 0 0.0 - - -\n`],
    ['parent is a file', `${root}\n/f 0 100644 1 0 0 0 0.0 - - -\n/f/g 0 100644 1 0 0 0 0.0 - - -\n`],
    ['missing parent', `${root}\n/d/f 0 100644 1 0 0 0 0.0 - - -\n`],
    ['duplicate name', `${root}\n/a 0 100644 1 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n`],
    ['unsorted names', `${root}\n/b 0 100644 1 0 0 0 0.0 - - -\n/a 0 100644 1 0 0 0 0.0 - - -\n/b 0 100644 1 0 0 0 0.0 - - -\n`],
    ['dot name', `${root}\n/. 0 100644 1 0 0 0 0.0 - - -\n`],
    ['dot-dot name', `${root}\n/.. 0 100644 1 0 0 0 0.0 - - -\n`],
    ['name of 256 bytes', `${root}\n/${'n'.repeat(256)} 0 100644 1 0 0 0 0.0 - - -\n`],
    ['escaped NUL ends the path', `${root}\n/a\\x00b 0 100644 1 0 0 0 0.0 - - -\n`],
    ['bad escape', `${root}\n/a\\q 0 100644 1 0 0 0 0.0 - - -\n`],
    ['short hex escape', `${root}\n/a\\x4 0 100644 1 0 0 0 0.0 - - -\n`],
    ['trailing backslash', `${root}\n/a\\ 0 100644 1 0 0 0 0.0 - - -\n`],
    ['invalid mode', `${root}\n/a 0 170644 1 0 0 0 0.0 - - -\n`],
    ['octal 8 in mode', `${root}\n/a 0 100684 1 0 0 0 0.0 - - -\n`],
    ['mode over 32 bits', `${root}\n/a 0 7777777777100644 1 0 0 0 0.0 - - -\n`],
    ['signed and spaced integers', `${root}\n/a +0 100644 \t1 -0 +0 0 \v1.\f2 - - -\n`],
    ['u64 overflow saturates', `${root}\n/a 99999999999999999999999 100644 1 0 0 0 0.0 - - -\n`],
    ['negative size', `${root}\n/a -5 100644 1 0 0 0 0.0 - - -\n`],
    ['mtime without a dot', `${root}\n/a 0 100644 1 0 0 0 5 - - -\n`],
    ['bad GID with UID 0', `${root}\n/a 0 100644 1 0 x 0 0.0 - - -\n`],
    ['bad GID and RDEV with UID 1', `${root}\n/a 0 100644 1 1 x y 0.0 - - -\n`],
    ['rdev on a file', `${root}\n/a 0 100644 1 0 0 5 0.0 - - -\n`],
    ['rdev on a device', `${root}\n/a 0 20644 1 0 0 5 0.0 - - -\n`],
    ['content size mismatch', `${root}\n/a 4 100644 1 0 0 0 0.0 - abc -\n`],
    ['empty content field', `${root}\n/a 0 100644 1 0 0 0 0.0 -  -\n`],
    ['content over 5000 bytes', `${root}\n/a 5001 100644 1 0 0 0 0.0 - ${'c'.repeat(5001)} -\n`],
    ['payload of 4096 bytes', `${root}\n/a 1 100644 1 0 0 0 0.0 ${'p'.repeat(4096)} - -\n`],
    ['symlink without target', `${root}\n/l 0 120777 1 0 0 0 0.0 - - -\n`],
    ['symlink size mismatch', `${root}\n/l 9 120777 1 0 0 0 0.0 /target - -\n`],
    ['symlink with content', `${root}\n/l 7 120777 1 0 0 0 0.0 /target x -\n`],
    ['short line', `${root}\n/a 0 100644\n`],
    ['digest of 63 digits', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'a'.repeat(63)}\n`],
    ['digest not hex', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'g'.repeat(64)}\n`],
    ['digest in mixed case', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'0123456789abcdefABCDEF'.repeat(3).slice(0, 64)}\n`],
    ['digest with a non-hex last digit', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'f'.repeat(63)}:\n`],
    ['escaped digest', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - \\x41${'a'.repeat(63)}\n`],
    ['digest zz', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - zz\n`],
    ['digest of 66 digits', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'b'.repeat(66)}\n`],
    ['digest with an escaped NUL after 64 digits', `${root}\n/a 1 100644 1 0 0 0 0.0 ab/c - ${'c'.repeat(64)}\\x00q\n`],
    ['xattr without =', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - user.x\n`],
    ['two spaces before an xattr', `${root}\n/a 0 100644 1 0 0 0 0.0 - - -  user.x=1\n`],
    ['trailing space', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - \n`],
    ['empty xattr key', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - =v\n`],
    ['xattr key cut at NUL', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - \\x00k=v\n`],
    ['xattr key of 256 bytes', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - ${'k'.repeat(256)}=v\n`],
    ['replaced xattr', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - user.a=1 user.b=2 user.a=${'v'.repeat(300)}\n`],
    ['xattr budget exceeded', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - ${Array.from({ length: 4 }, (_, i) => `user.${i}=${'v'.repeat(8000)}`).join(' ')}\n`],
    ['xattr text over 65535 bytes', `${root}\n/a 0 100644 1 0 0 0 0.0 - - - user.a=${'v'.repeat(65530)}\n`],
    ['hardlink', `${root}\n/a 0 100644 1 0 0 0 0.0 - - -\n/h 0 @100644 - - - - - /a - -\n`],
    ['hardlink before its target', `${root}\n/h 0 @100644 - - - - - /a - -\n/a 0 100644 1 0 0 0 0.0 - - -\n`],
    ['hardlink to a missing path', `${root}\n/h 0 @100644 - - - - - /nope - -\n`],
    ['hardlink without target', `${root}\n/h 0 @100644 - - - - - - - -\n`],
    ['hardlink with empty target', `${root}\n/h 0 @100644\n`],
    ['hardlink to itself', `${root}\n/h 0 @100644 - - - - - /h - -\n`],
    ['hardlinked directory', `${root}\n/h 0 @40755 - - - - - / - -\n`],
    ['hardlink with a bad escape in the target', `${root}\n/h 0 @100644 - - - - - /a\\z - -\n`],
    ['two bad hardlinks: the last line is reported', `${root}\n/h 0 @100644 - - - - - /x - -\n/i 0 @100644 - - - - - /y - -\n`],
    ['multiple roots', `${root}\n${root}\n`],
    ['root not a directory', '/ 0 100644 1 0 0 0 0.0 - - -\n'],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      for (const strict of [true, false]) expectSame(enc.encode(text), { ...DEFAULT_BUILD, strict }, [1, 5]);
    });
  }

  it('a line longer than many chunks', () => {
    const long = enc.encode(`/ 4096 40755 2 0 0 0 0.0 - - - user.a=${'v'.repeat(300_000)}\n`);
    expectSame(long, DEFAULT_BUILD, [4096]);
  });
});

describe('Wasm composefs builder: API', () => {
  it('takes an async iterable of chunks', async () => {
    async function* chunks() {
      const dump = enc.encode(MINI_DUMP);
      for (let off = 0; off < dump.length; off += 100) yield dump.subarray(off, off + 100);
    }
    const got = await buildWasmImage(chunks(), DEFAULT_BUILD);
    expect(comparable(got)).to.equal(comparable(jsOutcome(enc.encode(MINI_DUMP))));
  });

  it('reports the refused line as WasmDumpRejected', () => {
    expect(() => buildWasmImage(enc.encode('/ 4096 40755 2 0 0 0 0.0 - - -\n/x 0 1 1 0 0 0 0.0 - - -\n'), DEFAULT_BUILD))
      .to.throw(WasmDumpRejected).with.property('line', 2);
  });

  it('returns the image and its version (composefs-image.md §6.3 "mini", version 1)', () => {
    const { image, version } = buildWasmImage(enc.encode(MINI_DUMP), DEFAULT_BUILD);
    expect(createHash('sha256').update(image).digest('hex')).to.equal(MINI_SHA256_V1);
    expect(version).to.equal(1);
  });
});
