import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { digestBytes, sha256, sha512 } from '../../src/fsverity/index.js';
import { setNative, setSimd } from '../../src/wasm/sha.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Wasm SHA-2', () => {
  const data = randomBytes(3 << 20);
  // every tail length around one and two blocks of both hashes, and a few multi-piece sizes
  const sizes = [...Array.from({ length: 300 }, (_, i) => i), 1000, 4096, 65537, (1 << 20) - 1, 1 << 20, (3 << 20) - 5];
  // the Wasm core alone: node:crypto, the default where Node has crypto.hash, is turned off
  before(() => setNative(false));
  after(() => setNative(true));

  it('sha256 equals node:crypto for lengths 0..299 and larger', () => {
    for (const n of sizes) expect(hex(sha256(data.subarray(0, n))), `${n} bytes`).to.equal(createHash('sha256').update(data.subarray(0, n)).digest('hex'));
  });

  it('sha512 equals node:crypto for lengths 0..299 and larger', () => {
    for (const n of sizes) expect(hex(sha512(data.subarray(0, n))), `${n} bytes`).to.equal(createHash('sha512').update(data.subarray(0, n)).digest('hex'));
  });

  it('node:crypto and the Wasm core give the same Merkle digests, SHA-256 and SHA-512, salted or not', () => {
    const cases = [];
    for (const blocks of [1, 2, 5, 33, 300]) {
      for (const hashAlg of ['sha256', 'sha512'] as const) {
        for (const salt of [undefined, new Uint8Array([7, 7, 7])]) cases.push({ n: blocks * 1024 - (blocks % 3), opts: { hashAlg, blockSize: 1024, salt } });
      }
    }
    const wasm = cases.map((c) => digestBytes(data.subarray(0, c.n), c.opts).hex);
    setNative(true);
    try {
      expect(cases.map((c) => digestBytes(data.subarray(0, c.n), c.opts).hex)).to.deep.equal(wasm);
    } finally {
      setNative(false);
    }
  });

  it('the 4-lane SIMD and the scalar SHA-256 give the same Merkle digests for 1..9 blocks, salted or not', () => {
    const cases = [];
    for (let blocks = 1; blocks <= 9; blocks++) {
      for (const salt of [undefined, new Uint8Array([7, 7, 7])]) cases.push({ n: blocks * 1024 - (blocks % 3), opts: { blockSize: 1024, salt } });
    }
    const simd = cases.map((c) => digestBytes(data.subarray(0, c.n), c.opts).hex);
    setSimd(false);
    try {
      const scalar = cases.map((c) => digestBytes(data.subarray(0, c.n), c.opts).hex);
      expect(scalar).to.deep.equal(simd);
    } finally {
      setSimd(true);
    }
  });
});
