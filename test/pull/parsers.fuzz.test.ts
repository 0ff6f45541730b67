/**
 * Parsers of what a remote serves: the summary, detached metadata (signatures), keys and image
 * deltas. Random
 * and mutated inputs either parse or fail with a CfsError; valid ones round-trip.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createPrivateKey, sign } from 'node:crypto';
import { decodeSummary, encodeSummary, type Summary } from '../../src/ostree/summary.js';
import { decodeDetached, encodeDetached, signaturesOf, withSignatures } from '../../src/sign/commitmeta.js';
import { parsePublicKey, parseSecretKey, verifyData } from '../../src/sign/ed25519.js';
import { keyPair } from './fixture.js';
import { onlyCfsError } from '../helpers/fuzz.js';
import { applyDelta, encodeDelta } from '../../src/pull/delta.js';
import { gzipSync } from 'node:zlib';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const arbSummary: fc.Arbitrary<Summary> = fc.record({
  refs: fc.uniqueArray(fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9/]{0,20}$/),
    checksum: hex,
    size: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    timestamp: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
    version: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  }), { selector: (r) => r.name, maxLength: 8 }),
  metadata: fc.constant([['ostree.summary.mode', { type: 's', value: 'archive-z2' }]] as Summary['metadata']),
});

describe('pull parsers fuzz', () => {
  it('summary: encode → decode round-trips', () => {
    fc.assert(fc.property(arbSummary, (s) => {
      const back = decodeSummary(encodeSummary(s));
      const sorted = [...s.refs].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
      expect(back.refs).to.deep.equal(sorted);
    }), { seed: 21, numRuns: runs });
  });

  it('summary: random and mutated bytes parse or fail with CfsError', () => {
    fc.assert(fc.property(arbSummary, fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (s, junk, pos, x) => {
      onlyCfsError(() => decodeSummary(junk));
      const enc = encodeSummary(s).slice();
      if (enc.length) enc[pos % enc.length] ^= x;
      onlyCfsError(() => decodeSummary(enc));
      onlyCfsError(() => decodeSummary(enc.subarray(0, pos % (enc.length + 1))));
    }), { seed: 22, numRuns: runs });
  });

  it('detached metadata: mutated signatures parse or fail with CfsError, never verify', () => {
    const k = keyPair();
    const data = new TextEncoder().encode('commit bytes');
    const sig = new Uint8Array(Buffer.from(sign(null, data, createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(k.secret, 'base64').subarray(0, 32)]), format: 'der', type: 'pkcs8',
    }))));
    const enc = encodeDetached(withSignatures([], [sig]));
    expect(verifyData(data, signaturesOf(decodeDetached(enc)), [k.public])).to.equal(k.public);
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 200 }), (pos, x, junk) => {
      onlyCfsError(() => decodeDetached(junk));
      const bad = enc.slice();
      bad[pos % bad.length] ^= x;
      onlyCfsError(() => {
        const sigs = signaturesOf(decodeDetached(bad));
        const same = sigs.length === 1 && Buffer.from(sigs[0]).equals(sig);
        if (!same) expect(verifyData(data, sigs, [k.public])).to.equal(undefined);
      });
    }), { seed: 23, numRuns: runs });
  });

  it('keys: random text is a key or a CfsError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), fc.base64String({ maxLength: 100 }), (s, b) => {
      for (const t of [s, b]) {
        onlyCfsError(() => parseSecretKey(t));
        onlyCfsError(() => parsePublicKey(t));
      }
    }), { seed: 24, numRuns: runs });
  });

  it('image delta: encode → apply round-trips for any two byte strings; mutated deltas apply to other bytes or fail with CfsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), hex, hex, fc.nat(), fc.integer({ min: 1, max: 255 }), (old, next, from, to, pos, x) => {
      const delta = encodeDelta(from, old, to, next);
      expect(Buffer.from(applyDelta(delta, old, from, to, 'delta'))).to.deep.equal(Buffer.from(next));
      // an edited copy of old: runs of it shifted around new bytes
      const cut = pos % (old.length + 1);
      const edited = Buffer.concat([old.subarray(cut), next.subarray(0, x), old.subarray(0, cut)]);
      expect(Buffer.from(applyDelta(encodeDelta(from, old, to, edited), old, from, to, 'delta'))).to.deep.equal(edited);
      onlyCfsError(() => applyDelta(delta, old, to, from, 'delta'));
      const bad = Buffer.from(delta);
      bad[pos % bad.length] ^= x;
      onlyCfsError(() => applyDelta(bad, old, from, to, 'delta'));
      onlyCfsError(() => applyDelta(bad.subarray(0, pos % bad.length), old, from, to, 'delta'));
      onlyCfsError(() => applyDelta(gzipSync(bad), old, from, to, 'delta'));
    }), { seed: 25, numRuns: runs });
  });

  it('image delta: a wrong from, to or magic, or no gzip, is refused with one line naming the field', () => {
    const [a, b] = ['aa'.repeat(32), 'bb'.repeat(32)];
    const delta = encodeDelta(a, new Uint8Array(10), b, new Uint8Array(12).fill(7));
    expect(() => applyDelta(delta, new Uint8Array(10), b, b, 'D')).to.throw(`D: from: delta from image ${a}, expected ${b}`);
    expect(() => applyDelta(delta, new Uint8Array(10), a, a, 'D')).to.throw(`D: to: delta to image ${b}, expected ${a}`);
    expect(() => applyDelta(gzipSync(Buffer.from('CFSDCPY1')), new Uint8Array(0), a, b, 'D')).to.throw('D: magic: not an image delta');
    expect(() => applyDelta(Buffer.from('no gzip'), new Uint8Array(0), a, b, 'D')).to.throw(/^D: not a gzip stream of at most \d+ bytes: /);
  });
});
