import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parallelTuning } from '../../src/fsverity/file.js';
import { digestBytes, digestFile, type HashAlg } from '../../src/fsverity/index.js';
import { needCommand, runPeer } from '../helpers/peers.js';

const MAX_SIZE = 3 << 20;
const ALGS: HashAlg[] = ['sha256', 'sha512'];
const BLOCK_SIZES = [1024, 2048, 4096, 8192, 16384, 32768, 65536];
const DIGEST_SIZE = { sha256: 32, sha512: 64 };

/** Sizes at and around the edges of blocks and tree levels (k · blockSize · arity^j ± δ), or anywhere. */
function sizeArb(alg: HashAlg, blockSize: number): fc.Arbitrary<number> {
  const arity = blockSize / DIGEST_SIZE[alg];
  const edges = [1, blockSize, blockSize * arity, blockSize * arity * arity].filter((e) => e <= MAX_SIZE);
  const nearEdge = fc
    .tuple(fc.constantFrom(...edges), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2, max: 2 }))
    .map(([e, k, d]) => Math.min(MAX_SIZE, Math.max(0, e * k + d)));
  return fc.oneof(nearEdge, fc.integer({ min: 0, max: MAX_SIZE }));
}

describe('fs-verity digests agree with fsverity digest on random files (every parameter combination)', function () {
  let dir: string;
  before(function () {
    needCommand(this, 'fsverity');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-fsverity-peer-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const hashAlg of ALGS) {
    for (const blockSize of BLOCK_SIZES) {
      for (const salted of [false, true]) {
        it(`${hashAlg}, block ${blockSize}, ${salted ? 'random salt' : 'no salt'}`, async () => {
          const saltArb = salted ? fc.uint8Array({ minLength: 1, maxLength: 32 }) : fc.constant(new Uint8Array(0));
          const caseArb = fc.record({ size: sizeArb(hashAlg, blockSize), salt: saltArb, fill: fc.integer({ min: 0, max: 2 ** 31 }) });
          const cases = fc.sample(caseArb, { numRuns: 6, seed: blockSize * 7 + (salted ? 1 : 0) + (hashAlg === 'sha512' ? 3 : 0) });
          for (const [i, c] of cases.entries()) {
            const data = new Uint8Array(c.size);
            let x = c.fill | 1;
            for (let j = 0; j < data.length; j++) {
              x = (Math.imul(x, 1103515245) + 12345) | 0;
              data[j] = x >>> 24;
            }
            const file = join(dir, `f${i}`);
            writeFileSync(file, data);
            const args = [`--hash-alg=${hashAlg}`, `--block-size=${blockSize}`, `--salt=${Buffer.from(c.salt).toString('hex')}`];
            const peer = runPeer('fsverity', ['digest', ...args, file]);
            expect(peer.status, peer.stderr).to.equal(0);
            const opts = { hashAlg, blockSize, salt: c.salt };
            const want = `${peer.stdout.split(' ')[0]}`;
            expect(digestBytes(data, opts).text, `${c.size} bytes`).to.equal(want);
            expect((await digestFile(file, { ...opts, workers: 1 })).text, `${c.size} bytes, file`).to.equal(want);
            const saved = { ...parallelTuning };
            Object.assign(parallelTuning, { jobBytes: 1, minBytes: 0 });
            try {
              expect((await digestFile(file, { ...opts, workers: 2 })).text, `${c.size} bytes, workers`).to.equal(want);
            } finally {
              Object.assign(parallelTuning, saved);
            }
          }
        });
      }
    }
  }
});
