/**
 * Error lines (src/errors.ts): whatever bytes a file name, field or reason carries, the message is
 * one line without terminal controls, of bounded length, and printable text passes unchanged.
 * Runs: CFSKIT_FUZZ_RUNS (default 2000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CfsError, PLACE_PRINT_MAX, printable, REASON_PRINT_MAX } from '../src/errors.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);
// what a terminal acts on: C0, DEL, C1, line/paragraph separators, bidi controls
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const hostile = fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r', '\x1b', '\x00', '\x7f', '\x9b', '\u202e', '\u2028', '\\'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 3000 });

describe('error lines: escaped and bounded (fuzz)', () => {
  it('one line, no controls, bounded length', () => {
    fc.assert(
      fc.property(hostile, fc.option(hostile, { nil: undefined }), fc.option(hostile, { nil: undefined }), (reason, file, field) => {
        const m = new CfsError(reason, { file, field, line: 3 }).message;
        expect(CONTROL.test(m), JSON.stringify(m)).to.equal(false);
        expect(m.length).to.be.at.most(2 * PLACE_PRINT_MAX + REASON_PRINT_MAX + 30);
      }),
      { seed: 0x15_10, numRuns: runs },
    );
  });

  it('printable text without controls passes unchanged (up to the limit)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }).filter((s) => !CONTROL.test(s)), (s) => {
        expect(printable(s, 1000)).to.equal(s);
      }),
      { seed: 0x15_11, numRuns: runs },
    );
  });

  it('the escapes are the dumpfile\'s', () => {
    expect(printable('a\nb\rc\td\x1be\x7f\x00', 100)).to.equal('a\\nb\\rc\\td\\x1be\\x7f\\x00');
    expect(printable('x'.repeat(10), 4)).to.equal('xxxx...');
  });
});
