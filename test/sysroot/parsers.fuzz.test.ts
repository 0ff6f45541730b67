/**
 * Fuzz of the sysroot parsers of outside data: keyfile (.origin), BLS entries, newc cpio and the
 * /etc attribute sidecar. Any input either parses or fails with a CfsError; nothing else escapes,
 * nothing hangs. Round trips hold for generated valid inputs. Runs: CFSKIT_FUZZ_RUNS (default 2000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CfsError } from '../../src/errors.js';
import { BootEntry } from '../../src/formats/bls.js';
import { readCpio, writeCpio } from '../../src/formats/cpio.js';
import { formatEtcAttrs, parseEtcAttrs } from '../../src/sysroot/etc/etc-attrs.js';
import { KeyFile } from '../../src/formats/keyfile.js';
import { onlyCfsError } from '../helpers/fuzz.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);
const opts = (seed: number) => ({ seed, numRuns: runs });

const textish = fc.array(fc.constantFrom('[', ']', '=', '#', ' ', '\t', '\n', '\r', '\\', 'a', 'k', 'é', '\0', 's', 'n'), { maxLength: 200 }).map((a) => a.join(''));

describe('sysroot parsers fuzz', () => {
  it('keyfile: random bytes and keyfile-ish text parse or fail with CfsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyCfsError(() => KeyFile.parse(b))), opts(1));
    fc.assert(
      fc.property(textish, (t) =>
        onlyCfsError(() => {
          const kf = KeyFile.parse(t);
          // what parses prints and re-parses to the same text
          expect(KeyFile.parse(kf.toString()).toString()).to.equal(kf.toString());
          for (const g of kf.groupNames()) for (const k of kf.keys(g)) onlyCfsError(() => kf.getString(g, k));
        }),
      ),
      opts(2),
    );
  });

  it('keyfile: setString/getString round-trip any value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (v) => {
        const kf = new KeyFile();
        kf.setString('g', 'k', v);
        expect(KeyFile.parse(kf.toString()).getString('g', 'k')).to.equal(v);
      }),
      opts(3),
    );
  });

  it('BLS: random bytes parse or fail with CfsError; printed entries re-parse identically', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyCfsError(() => BootEntry.parse(b))), opts(4));
    fc.assert(
      fc.property(textish, (t) =>
        onlyCfsError(() => {
          const e = BootEntry.parse(t);
          expect(BootEntry.parse(e.toString()).toString()).to.equal(e.toString());
        }),
      ),
      opts(5),
    );
  });

  const member = fc.record({
    name: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((n) => n.map((c) => (c === 0 ? 1 : c))),
    mode: fc.constantFrom(0o100644, 0o120777, 0o100755),
    uid: fc.nat(70000),
    data: fc.uint8Array({ maxLength: 40 }),
  });

  it('cpio: write → read round-trips; truncated or mutated archives parse or fail with CfsError', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), fc.nat(), fc.nat(255), (members, at, byte) => {
        const bytes = writeCpio(members);
        const back = readCpio(bytes);
        expect(back.map((m) => Buffer.from(m.name).toString('hex'))).to.deep.equal(members.map((m) => Buffer.from(m.name).toString('hex')));
        back.forEach((m, i) => expect(Buffer.from(m.data).equals(Buffer.from(members[i].data))).to.equal(true));
        onlyCfsError(() => readCpio(bytes.subarray(0, at % (bytes.length + 1))));
        const mutated = Buffer.from(bytes);
        mutated[at % mutated.length] = byte;
        onlyCfsError(() => readCpio(mutated));
      }),
      opts(6),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyCfsError(() => readCpio(b))), opts(7));
    // a header claiming a huge name or file size must not allocate or read past the input
    const huge = Buffer.from(`070701${'0'.repeat(48)}ffffffff${'0'.repeat(32)}ffffffff00000000`, 'latin1');
    expect(() => readCpio(huge)).to.throw(CfsError);
  });

  it('etc attribute sidecar: random text parses or fails with CfsError; format → parse round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyCfsError(() => parseEtcAttrs(b))), opts(8));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.nat(70000), fc.nat(0o7777), fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 6 })), { maxLength: 2 })), { maxLength: 5 }),
        (rows) => {
          const table = new Map(rows.map(([p, id, mode, x]) => [Buffer.from(p).toString('latin1'), { uid: id, gid: id, mode, diskUid: 0, diskGid: 0, diskMode: mode, xattrs: x.map(([key, value]) => ({ key, value })) }]));
          const text = formatEtcAttrs(table);
          expect(formatEtcAttrs(parseEtcAttrs(Buffer.from(text, 'latin1')))).to.equal(text);
        },
      ),
      opts(9),
    );
  });
});
