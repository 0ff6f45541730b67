/**
 * Fuzz: mutated dumpfiles through buildImage, the public path (Wasm parser and writer, which word
 * their own refusals). Every outcome is an image or a CfsError; no other exception (an unknown
 * refusal record is one), no hang (seeded; CFSKIT_FUZZ_RUNS runs, default 10,000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { buildImage } from '../../src/composefs/index.js';
import { CfsError } from '../../src/errors.js';
import { dumpSeeds, mutate, mutation } from './dump-mutations.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 10000);

describe('fuzz: mutated dumpfiles through buildImage', function () {
  this.timeout(600000);
  it(`${RUNS} runs: only images or CfsError`, () => {
    const inputs = dumpSeeds();
    let images = 0;
    let refusals = 0;
    fc.assert(
      fc.property(fc.nat(inputs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.nat(2),
        (seed, mutations, strict, version) => {
          const dump = mutations.reduce(mutate, inputs[seed]);
          try {
            const { image } = buildImage(dump, { strict, file: 'fuzz.dump', minVersion: version === 2 ? 1 : 0, maxVersion: version === 0 ? 0 : 1 });
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
