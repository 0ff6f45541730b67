import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { digestBytes, FsverityHasher, type HashAlg } from '../../src/fsverity/index.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 150);

/** composefs-image.md §1.3/§1.4 written the plain way, with node:crypto: the oracle for random parameters. */
function reference(data: Uint8Array, alg: HashAlg, blockSize: number, salt: Uint8Array): string {
  const hashBlock = alg === 'sha256' ? 64 : 128;
  const digestSize = alg === 'sha256' ? 32 : 64;
  const padded = salt.length ? Buffer.concat([salt, Buffer.alloc(hashBlock - salt.length)]) : Buffer.alloc(0);
  const hashLevel = (bytes: Uint8Array): Buffer => {
    const out: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += blockSize) {
      const block = Buffer.alloc(blockSize);
      block.set(bytes.subarray(off, off + blockSize));
      out.push(createHash(alg).update(padded).update(block).digest());
    }
    return Buffer.concat(out);
  };
  let level = data.length ? hashLevel(data) : Buffer.alloc(digestSize);
  while (level.length > digestSize) level = hashLevel(level);
  const desc = Buffer.alloc(256);
  desc[0] = 1;
  desc[1] = alg === 'sha256' ? 1 : 2;
  desc[2] = Math.log2(blockSize);
  desc[3] = salt.length;
  desc.writeBigUInt64LE(BigInt(data.length), 8);
  level.copy(desc, 16);
  desc.set(salt, 80);
  return `${alg}:${createHash(alg).update(desc).digest('hex')}`;
}

describe('fuzz: streaming fs-verity = the plain definition (node:crypto), any chunking and parameters', () => {
  it(`${RUNS} runs`, () => {
    const params = fc.record({
      alg: fc.constantFrom<HashAlg>('sha256', 'sha512'),
      log2: fc.integer({ min: 7, max: 14 }),
      salt: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 32 })),
    });
    const input = fc.record({
      data: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 300_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31) ^ (i >> 9)))),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(params, input, ({ alg, log2, salt }, { data, cuts }) => {
        const opts = { hashAlg: alg, blockSize: 2 ** log2, salt };
        const h = new FsverityHasher(opts);
        const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        let prev = 0;
        for (const c of [...at, data.length]) {
          h.update(data.subarray(prev, c));
          prev = c;
        }
        const want = reference(data, alg, 2 ** log2, salt);
        expect(h.digest().text).to.equal(want);
        expect(digestBytes(data, opts).text).to.equal(want);
      }),
      { numRuns: RUNS, seed: 20261125 },
    );
  });
});
