import { expect } from 'chai';
import fc from 'fast-check';
import { decode, encode, parseType } from '../../src/formats/gvariant.js';
import { decodeCommit, decodeDirMeta, decodeDirTree, encodeCommit } from '../../src/ostree/formats.js';
import { arbTypedValue, arbTypeString } from '../ostree/arbitrary.js';
import { onlyCfsError } from '../helpers/fuzz.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

/** Decoding must either succeed or throw CfsError — never another exception, never hang. */
const decodesOrRefuses = (f: () => unknown) => onlyCfsError(f, ['EGVARIANT', 'EOBJECT']);

describe('ostree GVariant decoder fuzz', () => {
  it('random bytes against random types', () => {
    fc.assert(
      fc.property(arbTypeString, fc.uint8Array({ maxLength: 300 }), (type, data) => {
        decodesOrRefuses(() => decode(parseType(type), data, 'be'));
      }),
      { seed: 11, numRuns: runs },
    );
  });

  it('mutated valid encodings (flipped, truncated, extended)', () => {
    fc.assert(
      fc.property(arbTypedValue(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'grow'), ({ type, value }, pos, byte, how) => {
        const enc = encode(type, value, 'le');
        let data: Uint8Array;
        if (how === 'cut') data = enc.subarray(0, enc.length ? pos % enc.length : 0);
        else if (how === 'grow') data = Uint8Array.from([...enc, byte]);
        else {
          data = enc.slice();
          if (data.length) data[pos % data.length] ^= byte || 1;
        }
        decodesOrRefuses(() => decode(type, data, 'le'));
      }),
      { seed: 12, numRuns: runs },
    );
  });

  it('commit, dirtree and dirmeta object decoders', () => {
    const commit = encodeCommit({
      metadata: [['ostree.ref-binding', { type: 'as', value: ['test/empty'] }], ['n', { type: 't', value: 3n }]],
      parent: null, related: [], subject: 'subj', body: '', timestamp: 1704067200n,
      rootTree: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      rootMeta: '446a0ef11b7cc167f3b603e585c7eeeeb675faa412d5ec73f62988eb0b6c5488',
    });
    expect(decodeCommit(new Uint8Array(commit)).subject).to.equal('subj');
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 200 }), (pos, x, junk) => {
        const m = new Uint8Array(commit);
        m[pos % m.length] ^= x;
        decodesOrRefuses(() => decodeCommit(m));
        decodesOrRefuses(() => decodeDirTree(junk));
        decodesOrRefuses(() => decodeDirMeta(junk));
      }),
      { seed: 13, numRuns: runs },
    );
  });
});
