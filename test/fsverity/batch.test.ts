import { expect } from 'chai';
import fc from 'fast-check';
import { DigestBatch, digestBytes, digestMany, type FsverityOptions } from '../../src/fsverity/index.js';
import { setNative, setSimd } from '../../src/wasm/sha.js';
import { ruleContent } from './content.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 40);

describe('fs-verity batch of many files (DigestBatch, digestMany)', function () {
  this.timeout(120_000);

  it('matches digestBytes for sizes around block, level and lane edges, every parameter kind', () => {
    const sizes = [0, 1, 64, 65, 4095, 4096, 4097, 8192, 3 * 4096 + 1, 4 * 4096, 5 * 4096, 128 * 4096, 128 * 4096 + 1, (1 << 20) - 1, 1 << 20];
    const params: FsverityOptions[] = [
      {},
      { blockSize: 1024 },
      { blockSize: 64 },
      { salt: Buffer.from('c0ffee', 'hex') },
      { hashAlg: 'sha512', blockSize: 8192, salt: Buffer.alloc(32, 7) },
      { hashAlg: 'sha512', blockSize: 128 },
    ];
    for (const opts of params) {
      const items = sizes.map((s, i) => ruleContent(s, i));
      const got = digestMany(items, opts);
      items.forEach((item, i) => expect(got[i].text, `${sizes[i]} bytes ${JSON.stringify(opts)}`).to.equal(digestBytes(item, opts).text));
    }
  });

  it('matches digestBytes on random sets of files, by node:crypto or by Wasm with and without SIMD', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 40_000 }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(1024, 4096, 65536),
        fc.constantFrom('native', 'simd', 'scalar'),
        (sizes, blockSize, engine) => {
          const items = sizes.map((s, i) => ruleContent(s, s + i));
          const want = items.map((item) => digestBytes(item, { blockSize }).hex);
          setNative(engine === 'native');
          setSimd(engine === 'simd');
          try {
            const got = digestMany(items, { blockSize });
            items.forEach((_, i) => expect(got[i].hex).to.equal(want[i]));
          } finally {
            setNative(true);
            setSimd(true);
          }
        },
      ),
      { seed: 4242, numRuns: runs },
    );
  });

  it('fills a batch until it is full and starts over after clear(); a failing fill adds nothing', () => {
    const batch = new DigestBatch();
    const item = ruleContent(100_000, 3);
    let n = 0;
    while (batch.fits(item.length)) batch.add(item.length, (v) => v.set(item)), n++;
    expect(n).to.be.greaterThan(4);
    expect(() => batch.add(10, () => { throw new Error('read failed'); })).to.throw('read failed');
    expect(batch.count).to.equal(n);
    const want = digestBytes(item).hex;
    expect(batch.digests().map((d) => d.hex)).to.deep.equal(Array(n).fill(want));
    expect(Buffer.from(batch.data(n - 1)).equals(Buffer.from(item))).to.equal(true);
    batch.clear();
    batch.add(5000, (v) => v.set(item.subarray(0, 5000)));
    expect(batch.digests()[0].hex).to.equal(digestBytes(item.subarray(0, 5000)).hex);
  });

  it('hands files too large for a batch to the streaming hasher', () => {
    const big = ruleContent(5 << 20, 9);
    expect(new DigestBatch().accepts(big.length)).to.equal(false);
    expect(digestMany([big, big.subarray(0, 10)])[0].hex).to.equal(digestBytes(big).hex);
  });
});
