import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { decode, encode, parseType, type GvValue } from '../../src/formats/gvariant.js';
import { printVariant } from '../../src/formats/gvariant-text.js';
import { CfsError } from '../../src/errors.js';
import { arbTypedValue } from '../ostree/arbitrary.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/[\s|]/g, ''), 'hex'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Spec ostree.md §1.8, verified against GLib 2.74. */
const EXAMPLES: [string, GvValue, string, 'be' | 'le'][] = [
  ['s', 'hi', '68 69 00', 'le'],
  ['v', { type: 's', value: 'hi' }, '68 69 00 00 73', 'le'],
  ['as', ['a', 'bc'], '61 00 62 63 00 | 02 05', 'le'],
  ['aay', [bytes('6162'), new Uint8Array(0)], '61 62 | 02 02', 'le'],
  ['ay', bytes('6162'), '61 62', 'le'],
  ['b', true, '01', 'le'],
  ['(yu)', [1, 2], '01 00 00 00 02 00 00 00', 'le'],
  ['(uy)', [1, 2], '01 00 00 00 02 00 00 00', 'le'],
  ['(say)', ['ab', bytes('0102')], '61 62 00 01 02 | 03', 'le'],
  ['a(say)', [['ab', bytes('0102')], ['c', new Uint8Array(0)]], '61 62 00 01 02 03 | 63 00 02 | 06 09', 'le'],
  ['()', [], '00', 'le'],
  ['a{sv}', [], '', 'le'],
  ['a{sv}', [['version', { type: 's', value: '1' }]], '76 65 72 73 69 6f 6e 00 31 00 00 73 08 0d', 'le'],
  ['a{sv}', [['ostree.ref-binding', { type: 'as', value: ['a/b'] }], ['n', { type: 't', value: 1n }]],
    '6f 73 74 72 65 65 2e 72 65 66 2d 62 69 6e 64 69 6e 67 00 00 00 00 00 00 61 2f 62 00 04 00 61 73' +
    '13 00 00 00 00 00 00 00 6e 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 74 02 21 3b', 'be'],
  ['mu', 7, '07 00 00 00', 'le'],
  ['ms', 'ab', '61 62 00 00', 'le'],
  ['ms', null, '', 'le'],
];

describe('ostree GVariant codec (ostree.md §1)', () => {
  for (const [type, value, expected, endian] of EXAMPLES) {
    it(`${type} ${expected || '(empty)'} is byte-equal to GLib and decodes back`, () => {
      const enc = encode(type, value, endian);
      expect(hex(enc)).to.equal(hex(bytes(expected)));
      expect(decode(type, enc, endian)).to.deep.equal(value);
    });
  }

  it('stores numbers in the byte order asked for, framing offsets always LE (ostree.md §1.1)', () => {
    expect(hex(encode('(ut)', [0x01020304, 5n], 'be'))).to.equal('01020304' + '00000000' + '0000000000000005');
    expect(hex(encode('(ut)', [0x01020304, 5n], 'le'))).to.equal('04030201' + '00000000' + '0500000000000000');
    expect(decode('u', bytes('000041ed'), 'be')).to.equal(0o40755);
  });

  describe('framing offset width boundaries (ostree.md §1.4)', () => {
    // Expected bytes derived from the rule: body, then the element end as a z-byte LE integer.
    const le = (v: number, z: number) => Array.from({ length: z }, (_, i) => (v >> (8 * i)) & 0xff);
    for (const [chars, z] of [[253, 1], [254, 2], [65532, 2], [65533, 4]] as const) {
      it(`as with one ${chars}-char string uses ${z}-byte offsets`, () => {
        const s = 'x'.repeat(chars);
        const enc = encode('as', [s], 'le');
        const expected = Uint8Array.from([...Buffer.from(s), 0, ...le(chars + 1, z)]);
        expect(enc.length).to.equal(chars + 1 + z);
        expect(Buffer.compare(enc, expected)).to.equal(0);
        expect(decode('as', enc, 'le')).to.deep.equal([s]);
      });
    }
    it('(ss) = (252 chars, x) needs 2-byte offsets: 255 + 1 > 255', () => {
      const enc = encode('(ss)', ['y'.repeat(252), 'x'], 'le');
      expect(enc.length).to.equal(257);
      expect(hex(enc.subarray(255))).to.equal('fd00');
    });
    it('a(say) with 4-byte offsets in array and tuples round-trips', () => {
      const big = new Uint8Array(70000).fill(7);
      const v = [['a', big], ['b', new Uint8Array(3)]];
      const enc = encode('a(say)', v, 'le');
      // element 0: "a\0" + 70000 bytes + one 4-byte tuple offset; element 1: "b\0"+3+1; array: 2 offsets of 4.
      expect(enc.length).to.equal(2 + 70000 + 4 + 2 + 3 + 1 + 8);
      expect(decode('a(say)', enc, 'le')).to.deep.equal(v);
    });
  });

  describe('object examples (ostree.md §2.5–2.7, verified with ostree)', () => {
    const empty = '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d';
    const rootMeta = '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488';
    it('the empty dirtree is 00 with the well-known checksum', () => {
      expect(sha(encode('(a(say)a(sayay))', [[], []], 'be'))).to.equal(empty);
    });
    it('dirmeta 0/0/0o40755, 1000/1000/0o40700 and one xattr', () => {
      expect(sha(encode('(uuua(ayay))', [0, 0, 0o40755, []], 'be'))).to.equal(rootMeta);
      expect(sha(encode('(uuua(ayay))', [1000, 1000, 0o40700, []], 'be'))).to.equal('1bafaf47d4bd514f4673d99893ae641dd776f966837ffee354c729fdb74a562e');
      const x = encode('(uuua(ayay))', [0, 0, 0o40755, [[bytes('757365722e6100'), bytes('62')]]], 'be');
      expect(hex(x)).to.equal('0000000000000000000041ed757365722e6100620709');
      expect(sha(x)).to.equal('80e5b14a9e78a4e117c4c1be9013bc8b5bce23e669adc751d1dd387455fefcdb');
    });
    it('the dirtree with a file, a symlink and a subdirectory (155 bytes)', () => {
      const t = encode('(a(say)a(sayay))', [
        [['hello.txt', bytes('44f778e59f0a4748d6b0c90a47347212a231c4ad1e8f7ea5c5dffc7749153a6b')],
          ['link', bytes('f66efa496a72379413c44593de510dc344beb045294f1a543da87b2b6118db35')]],
        [['sub', bytes(empty), bytes(rootMeta)]],
      ], 'be');
      expect(t.length).to.equal(155);
      expect(sha(t)).to.equal('0e902c3feb440b1f12c1d183f878db144a0102636dbbe2392301af4b532c1c9d');
    });
    const commit = (meta: GvValue[], parent: string, subject: string, body: string, ts: bigint) =>
      encode('(a{sv}aya(say)sstayay)', [meta, bytes(parent), [], subject, body, ts, bytes(empty), bytes(rootMeta)], 'be');
    const A = 'f4d36a56ff79dbc6ea042ced59553a45597b73a84d3266bce4b8ca9a66b2280e';
    it('commit examples A, B, C, D', () => {
      expect(sha(commit([], '', 'empty', '', 1704067200n))).to.equal(A);
      const digest = Uint8Array.from({ length: 32 }, (_, i) => i);
      const b = commit([['version', { type: 's', value: '1.0' }], ['ostree.composefs.digest.v0', { type: 'ay', value: digest }]], '', 'empty', '', 1704067200n);
      expect(b.length).to.equal(174);
      expect(sha(b)).to.equal('7eed84711a2a0d9c1dd8a0a4559797f9787b6c20852da8794a0afe42a5a1302a');
      expect(sha(commit([], A, 'child', 'body text', 1704067260n))).to.equal('01d795516385dc0bf379f9d5545eaea3a3e33207279068c7afeab9bdab547d87');
      const d = commit([['ostree.ref-binding', { type: 'as', value: ['test/empty'] }]], '', 'subj', '', 1704067200n);
      expect(sha(d)).to.equal('37ef13fa38d70f01c31b4981ffcfad489cd36451edfab67cc20de443e8fc1d48');
      expect(decode('(a{sv}aya(say)sstayay)', d, 'be')).to.deep.equal(
        [[['ostree.ref-binding', { type: 'as', value: ['test/empty'] }]], new Uint8Array(0), [], 'subj', '', 1704067200n, bytes(empty), bytes(rootMeta)]);
    });
  });

  describe('normal form is required when decoding (ostree.md §1.7)', () => {
    const bad: [string, string, string][] = [
      ['b', '02', 'boolean 2'],
      ['s', '6869', 'no NUL'],
      ['s', '680069 00', 'embedded NUL'],
      ['s', 'ff00', 'invalid UTF-8'],
      ['(yu)', '01 05 00 00 02 00 00 00', 'non-zero padding'],
      ['as', '61 00 62 00 | 02 04 00', 'trailing garbage'],
      ['as', '61 00 | 03', 'offset past the table'],
      ['u', '00 00 00', 'truncated fixed value'],
      ['v', '68 69 00 00 7a', 'unknown variant type'],
      ['v', '68 69 00 00 73 73', 'variant type of two types'],
      ['mu', '07 00', 'maybe of wrong size'],
      ['()', '01', 'unit not 00'],
    ];
    for (const [type, data, why] of bad) {
      it(`rejects ${type} ${data} (${why}) with EGVARIANT`, () => {
        let caught: unknown;
        try {
          decode(type, bytes(data), 'le');
        } catch (e) {
          caught = e;
        }
        expect(caught).to.be.instanceOf(CfsError);
        expect((caught as CfsError).code).to.equal('EGVARIANT');
        expect((caught as CfsError).offset).to.be.a('number');
      });
    }
    it('rejects offsets wider than the minimal width', () => {
      // ['a'] with a 2-byte offset: size 4 reads as 1-byte offsets and does not frame.
      expect(() => decode('as', bytes('6100 0200'), 'le')).to.throw(CfsError);
    });
  });

  it('decode(encode(x)) = x and re-encoding is identical, for generated types and values', () => {
    fc.assert(
      fc.property(arbTypedValue(), fc.constantFrom<'be' | 'le'>('be', 'le'), ({ type, value }, endian) => {
        const enc = encode(type, value, endian);
        const dec = decode(type, enc, endian);
        expect(dec).to.deep.equal(value);
        expect(hex(encode(type, dec, endian))).to.equal(hex(enc));
      }),
      { seed: 5, numRuns: 400 },
    );
  });

  it('parses type strings and reports alignment and fixed size (ostree.md §1.2)', () => {
    expect(parseType('(yu)')).to.include({ align: 4, fixed: 8 });
    expect(parseType('(tt)')).to.include({ align: 8, fixed: 16 });
    expect(parseType('a{sv}')).to.include({ align: 8, fixed: null });
    expect(parseType('(a{sv}aya(say)sstayay)')).to.include({ align: 8, fixed: null });
    expect(parseType('(uuua(ayay))')).to.include({ align: 4, fixed: null });
    for (const t of ['', 'a', '(s', 'ss', '{sv}x', '{vs}', 'z']) expect(() => parseType(t), t).to.throw(CfsError);
  });

  it('prints values as g_variant_print(v, TRUE) (ostree.md §2.13 table)', () => {
    expect(printVariant('s', '1.2.3')).to.equal("'1.2.3'");
    expect(printVariant('s', "it's")).to.equal('"it\'s"');
    expect(printVariant('ay', Uint8Array.of(0, 1, 0x1f))).to.equal('[byte 0x00, 0x01, 0x1f]');
    expect(printVariant('ay', Uint8Array.of(0x61, 0x27, 0))).to.equal(`b"a'"`);
    expect(printVariant('as', ['test/ref'])).to.equal("['test/ref']");
    expect(printVariant('b', true)).to.equal('true');
    expect(printVariant('t', 42n)).to.equal('uint64 42');
    expect(printVariant('u', 7)).to.equal('uint32 7');
    expect(printVariant('aay', [Uint8Array.of(0, 1)])).to.equal('[[byte 0x00, 0x01]]');
    expect(printVariant('as', [])).to.equal('@as []');
  });
});
