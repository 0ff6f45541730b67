/**
 * Fuzz: mutated dumpfiles through the Wasm builder and the TypeScript parser (seeded; CFSKIT_FUZZ_RUNS
 * runs, default 10,000). Both must refuse on the same line with the same message, or both write the
 * same image (or the same writer error), whether the input arrives whole or in chunks of a random
 * size; the Wasm side never traps otherwise nor hangs.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { dumpSeeds, mutate, mutation } from './dump-mutations.js';
import { comparable, jsOutcome, wasmOutcome } from './wasm-differential.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 4000);

describe('fuzz: Wasm dumpfile parser against the JS parser', function () {
  this.timeout(0);
  it(`${RUNS} mutated dumps: same refusal (line and message) or same result, whole and chunked`, () => {
    const inputs = dumpSeeds();
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(inputs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.boolean(), fc.nat(2),
        fc.integer({ min: 1, max: 300 }), (seed, mutations, strict, version, chunkSize) => {
          const dump = mutations.reduce(mutate, inputs[seed]);
          const opts = { strict, minVersion: version === 2 ? 1 : 0, maxVersion: version === 0 ? 0 : 1, useEpoch: version === 1 };
          const want = comparable(jsOutcome(dump, opts));
          expect(comparable(wasmOutcome(dump, opts)), 'whole').to.equal(want);
          expect(comparable(wasmOutcome(dump, opts, chunkSize)), `chunks of ${chunkSize}`).to.equal(want);
          if (want.startsWith('rejected')) refused++;
          else accepted++;
        }),
      { numRuns: RUNS, seed: 0x5eed_0a5d },
    );
    console.log(`      ${accepted} accepted, ${refused} refused by both`);
    // Both outcomes must be exercised, or the mutations are too weak or too strong.
    expect(accepted).to.be.greaterThan(RUNS / 100);
    expect(refused).to.be.greaterThan(RUNS / 100);
  });
});
