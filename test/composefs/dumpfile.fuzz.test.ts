/**
 * Fuzz: mutated dumpfiles through parse + write. Every outcome is an image or a CfsError; no
 * other exception, no hang (seeded; CFSKIT_FUZZ_RUNS runs, default 10,000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { CfsError } from '../../src/errors.js';
import { upstreamAssets } from './vectors.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 10000);
const enc = new TextEncoder();

/** Small seeds covering every line shape: the small upstream assets and a hand-made mix. */
function seeds(): Uint8Array[] {
  const small = upstreamAssets().filter((a) => a.dump.length < 40000).map((a) => a.dump);
  small.push(enc.encode([
    '/ 4096 40755 3 0 0 0 1.5 - - - security.selinux=a\\x00 trusted.overlay.opaque=y',
    '/d 4096 40700 2 70000 0 0 2.0 - - - user.x=1',
    '/d/wh 0 20000 1 0 0 0 1.5 - - - trusted.overlay.whiteout=ab',
    `/d/ext 5000000000 100644 2 0 0 0 1.5 ab/${'c'.repeat(62)} - ${'ab'.repeat(32)}`,
    '/hl 0 @100644 - - - - - /d/ext - -',
    '/l 3 120777 1 0 0 0 1.5 abc - -',
    '/i 5 100644 1 0 0 0 1.5 - hello - user.a=1 user.b=\\xff',
    '/dev 0 60644 1 0 0 259 1.5 - - -',
    '',
  ].join('\n')));
  return small;
}

/** Tokens that hit field and escape boundaries. */
const TOKENS = [' ', '\n', '\\', '\\x', '\\x0', '\\x00', '@', '-', '=', '/', '//', '.', '..', '0', '9', '7777777',
  '18446744073709551616', '4096', '5001', '20000', '120777', '40755', '100644', 'trusted.overlay.', 'user.overlay.whiteout=x',
].map((t) => enc.encode(t));

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; token: number }
  | { kind: 'duplicate'; at: number; length: number };

/** Positions spread over the whole input (fc.nat() alone favours small values). */
const position = fc.noBias(fc.nat());

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, value: fc.oneof(fc.integer({ min: 0x30, max: 0x39 }), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, token: fc.nat(TOKENS.length - 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 400 }) }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : m.at % input.length;
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  };
  switch (m.kind) {
    case 'flip': {
      const out = input.slice();
      if (out.length) out[at] = m.value;
      return out;
    }
    case 'delete':
      return join(input.subarray(0, at), input.subarray(at + m.length));
    case 'insert':
      return join(input.subarray(0, at), TOKENS[m.token], input.subarray(at));
    case 'duplicate':
      return join(input.subarray(0, at + m.length), input.subarray(at));
  }
}

describe('fuzz: mutated dumpfiles through parse + write', function () {
  this.timeout(600000);
  it(`${RUNS} runs: only images or CfsError`, () => {
    const inputs = seeds();
    let images = 0;
    let refusals = 0;
    fc.assert(
      fc.property(fc.nat(inputs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.nat(2),
        (seed, mutations, strict, version) => {
          const dump = mutations.reduce(mutate, inputs[seed]);
          try {
            const root = parseDump(dump, { strict, file: 'fuzz.dump' });
            const { image } = writeImage(root, { minVersion: version === 2 ? 1 : 0, maxVersion: version === 0 ? 0 : 1 });
            expect(image.length % 4096).to.equal(0);
            images++;
          } catch (e) {
            if (!(e instanceof CfsError)) throw e;
            expect(e.message).to.be.a('string').and.not.equal('');
            refusals++;
          }
        }),
      { numRuns: RUNS, seed: 0x5eed_c0de },
    );
    console.log(`      ${images} images, ${refusals} refusals`);
    // Both outcomes must be exercised, or the mutations are too weak or too strong.
    expect(images).to.be.greaterThan(RUNS / 200);
    expect(refusals).to.be.greaterThan(RUNS / 200);
  });
});
