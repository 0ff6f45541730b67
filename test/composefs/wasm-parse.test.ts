/**
 * The Wasm dumpfile parser (assembly/composefs/dumpfile.ts) against the JS parser on every
 * composefs vector, strict and non-strict, whole and in small chunks: the same refusal line and
 * message, or the same image (or writer error) as JS writeImage(parseDump(...)).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { CfsError } from '../../src/errors.js';
import { buildWasmImage, WasmDumpRejected } from '../../src/wasm/composefs.js';
import { dumpMessage, type DumpQuote } from '../../src/wasm/dump-error.js';
import * as R from '../../src/wasm/dump-reasons.js';
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
    ['bad escape in DIGEST before an xattr without =', `${root}\n/a 0 100644 1 0 0 0 0.0 - - \\q user.x\n`],
    ['bad escape in DIGEST of a symlink without target', `${root}\n/l 0 120777 1 0 0 5 0.0 - - \\x1\n`],
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

describe('Wasm dumpfile parser: every refusal reason, worded as the TypeScript parser words it', () => {
  const root = '/ 4096 40755 2 0 0 0 0.0 - - -';
  const file = (rest: string) => `${root}\n${rest}\n`;
  const b = (text: string) => enc.encode(text);
  // [reason, dumpfile, what the message quotes, field]; strict mode.
  const cases: [number, string, DumpQuote, string | undefined][] = [
    [R.DUMP_EMBEDDED_NUL, file('/a 0 100644 1 0 0 0 0.0 - - - user.x=a\0b'), { a: 38 }, undefined],
    [R.DUMP_EMPTY_PATH, file('\\x00 0 100644 1 0 0 0 0.0 - - -'), {}, 'PATH'],
    [R.DUMP_INVALID_INTEGER, file('/a 0 @1x 1 0 0 0 0.0 - - -'), { bytes: b('1x') }, 'MODE'],
    [R.DUMP_INVALID_MODE, file('/a 0 7777777777170644 1 0 0 0 0.0 - - -'), { a: 0o37777170644 }, 'MODE'],
    [R.DUMP_ROOT_NOT_DIRECTORY, '/ 0 100644 1 0 0 0 0.0 - - -\n', {}, 'MODE'],
    [R.DUMP_MULTIPLE_ROOTS, file(root), {}, 'PATH'],
    [R.DUMP_NO_ROOT, '/a 0 100644 1 0 0 0 0.0 - - -\n', {}, 'PATH'],
    [R.DUMP_PARENT_MISSING, file('/d/\\xff 0 100644 1 0 0 0 0.0 - - -'), { bytes: new Uint8Array([0x2f, 0x64, 0x2f, 0xff]) }, 'PATH'],
    [R.DUMP_PARENT_NOT_DIRECTORY, file('/f 0 100644 1 0 0 0 0.0 - - -\n/f/g 0 100644 1 0 0 0 0.0 - - -'), { bytes: b('/f/g') }, 'PATH'],
    [R.DUMP_DOT_NAME, file('/.. 0 100644 1 0 0 0 0.0 - - -'), { bytes: b('/..') }, 'PATH'],
    [R.DUMP_CANNOT_ADD_CHILD, file(`/${'n'.repeat(256)} 0 100644 1 0 0 0 0.0 - - -`), {}, 'PATH'],
    [R.DUMP_DIRECTORY_HARDLINK, file('/h 0 @40755 - - - - - / - -'), {}, 'MODE'],
    [R.DUMP_CONTENT_SIZE, file('/a 18446744073709551615 100644 1 0 0 0 0.0 - abc -'), { a: 3, b: 18446744073709551615n }, 'CONTENT'],
    [R.DUMP_DEVNUM, file('/a 0 100644 1 0 0 5 0.0 - - -'), {}, 'RDEV'],
    [R.DUMP_INVALID_SYMLINK, file('/l 0 120777 1 0 0 0 0.0 - - -'), {}, 'PAYLOAD'],
    [R.DUMP_SYMLINK_SIZE, file('/l 9 120777 1 0 0 0 0.0 /target - -'), { a: 7, b: 9 }, 'SIZE'],
    [R.DUMP_SYMLINK_CONTENT, file('/l 7 120777 1 0 0 0 0.0 /target xxxxxxx -'), {}, 'CONTENT'],
    [R.DUMP_INVALID_PAYLOAD, file(`/a 1 100644 1 0 0 0 0.0 ${'p'.repeat(4096)} - -`), {}, 'PAYLOAD'],
    [R.DUMP_INLINE_TOO_LARGE, file(`/a 5001 100644 1 0 0 0 0.0 - ${'c'.repeat(5001)} -`), { a: 5001, b: 5000 }, 'CONTENT'],
    [R.DUMP_TOO_MANY_XATTRS, file(`/a 0 100644 1 0 0 0 0.0 - - - user.a=${'v'.repeat(65530)}`), {}, 'XATTRS'],
    [R.DUMP_MISSING_EQUALS, file('/a 0 100644 1 0 0 0 0.0 - - - user.x'), {}, 'XATTRS'],
    [R.DUMP_CANNOT_SET_XATTR, file(`/a 0 100644 1 0 0 0 0.0 - - - ${'k'.repeat(256)}=v`), {}, `xattr ${'k'.repeat(256)}`],
    [R.DUMP_NO_CHARACTER_AFTER_ESCAPE, file('/a 0 100644 1 0 0 0 0.0 - - \\'), {}, 'DIGEST'],
    [R.DUMP_NO_HEX_AFTER_ESCAPE, file('/a 0 100644 1 0 0 0 0.0 - - - user.x=\\x4'), {}, 'XATTRS'],
    [R.DUMP_INVALID_HEX_ESCAPE, file('/a 0 100644 1 0 0 0 0.0 \\xg0 - -'), {}, 'PAYLOAD'],
    [R.DUMP_UNSUPPORTED_ESCAPE, file('/a 0 100644 1 0 0 0 0.0 - \\\xe9 -'), { a: 0xe9 }, 'CONTENT'],
    [R.DUMP_MISSING_NEWLINE, `${root}\n/a\0`, {}, undefined],
    [R.DUMP_NO_FILES, '', {}, undefined],
    [R.DUMP_NO_LINK_TARGET, file('/h 0 @100644 - - - - - - - -'), {}, 'PAYLOAD'],
    [R.DUMP_LINK_TARGET_MISSING, file('/h 0 @100644 - - - - - /nope - -'), { bytes: b('/nope') }, 'PAYLOAD'],
    [R.DUMP_SELF_LINK, file('/h 0 @100644 - - - - - /h - -'), { bytes: b('/h') }, 'PAYLOAD'],
  ];

  it('covers every reason of src/wasm/dump-reasons.ts', () => {
    const all = Object.entries(R).filter(([name]) => name.startsWith('DUMP_')).map(([, code]) => code).sort((x, y) => x - y);
    expect(cases.map(([code]) => code).sort((x, y) => x - y)).to.deep.equal(all);
  });

  for (const [code, text, quote, field] of cases) {
    const want = dumpMessage(code, quote);
    it(want.slice(0, 60), () => {
      // Latin-1, so a byte above 0x7f stays one byte (an unsupported escape quotes it).
      const dump = Uint8Array.from(text, (c) => c.charCodeAt(0));
      let js: CfsError | undefined;
      try {
        parseDump(dump, { strict: true, file: 'reasons.dump' });
      } catch (e) {
        js = e as CfsError;
      }
      expect(js).to.be.instanceOf(CfsError);
      expect([js!.reason, js!.field]).to.deep.equal([want, field]);
      for (const chunk of [0, 1, 7]) {
        let wasm: unknown;
        try {
          const chunks = chunk ? Array.from({ length: Math.ceil(dump.length / chunk) }, (_, i) => dump.subarray(i * chunk, (i + 1) * chunk)) : dump;
          buildWasmImage(chunks, { ...DEFAULT_BUILD, file: 'reasons.dump' });
        } catch (e) {
          wasm = e;
        }
        expect(wasm, `chunks of ${chunk}`).to.be.instanceOf(WasmDumpRejected);
        const w = wasm as WasmDumpRejected;
        expect([w.message, w.line, w.field, w.code], `chunks of ${chunk}`).to.deep.equal([js!.message, js!.line, js!.field, 'EDUMP']);
      }
    });
  }
});
