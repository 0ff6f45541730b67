/**
 * The dump printer writes numbers straight into its buffer (ByteSink.integer, u64, i64): each
 * must print what C's printf does for the same field, i.e. BigInt.asUintN/asIntN(64) in decimal,
 * across the 2^31, 2^32, 2^53 and 2^63 boundaries and past 64 bits.
 */
import { expect } from 'chai';
import { ByteSink } from '../../src/composefs/dumpfile/escape.js';

const text = (write: (out: ByteSink) => void): string => {
  const out = new ByteSink();
  write(out);
  return Buffer.from(out.take()).toString('latin1');
};

const edges = [0n, 1n, 7n, 8n, 9n, 10n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n, 2n ** 70n];
const values = edges.flatMap((e) => [e - 1n, e, e + 1n]).flatMap((v) => [v, -v]);

describe('dump printer numbers', () => {
  it('u64 prints the value wrapped to 64 bits, as %lu', () => {
    for (const v of values) expect(text((o) => o.u64(v)), String(v)).to.equal(BigInt.asUintN(64, v).toString());
  });

  it('i64 prints the value wrapped to 64 bits, as %ld', () => {
    for (const v of values) expect(text((o) => o.i64(v)), String(v)).to.equal(BigInt.asIntN(64, v).toString());
  });

  it('integer prints u32 fields in decimal and modes in octal', () => {
    for (const v of values.filter((x) => x >= 0n && x < 2n ** 32n).map(Number)) {
      expect(text((o) => o.integer(v))).to.equal(v.toString(10));
      expect(text((o) => o.integer(v, 8))).to.equal(v.toString(8));
    }
  });
});
