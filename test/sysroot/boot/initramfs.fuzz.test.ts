/**
 * Fuzz of readExtension (verify reads extensions from /boot, outside data): random bytes and
 * mutated real extensions either parse or fail with a CfsError; nothing else escapes, nothing
 * hangs. Generated valid infos round-trip. Runs: CFSKIT_FUZZ_RUNS (default 2000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CFS_OBJECTS_DIR, type ExtensionInfo, buildExtension, readExtension } from '../../../src/sysroot/boot/initramfs.js';
import { onlyCfsError } from '../../helpers/fuzz.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

const parsesOrRefuses = (bytes: Uint8Array) => onlyCfsError(() => readExtension(bytes));

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const component = fc.stringMatching(/^[A-Za-z0-9_+@-][A-Za-z0-9._+@-]{0,11}$/).filter((c) => c !== '.' && c !== '..');
const relPath = fc.array(component, { minLength: 1, maxLength: 5 }).map((c) => c.join('/'));
const info: fc.Arbitrary<ExtensionInfo> = fc.record({
  digest: hex64, sha256: hex64, image: relPath, objects: fc.constant(CFS_OBJECTS_DIR), deployment: relPath,
  composefs: fc.constantFrom('yes' as const, 'verity' as const),
});

describe('sysroot initramfs extension fuzz', () => {
  it('generated infos round-trip through buildExtension / readExtension', () => {
    fc.assert(fc.property(info, (i) => {
      expect(readExtension(buildExtension(i))).to.deep.include(i);
    }), { seed: 71, numRuns: runs });
  });

  it('random bytes and mutated extensions parse or fail with CfsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), parsesOrRefuses), { seed: 72, numRuns: runs });
    const mutation = fc.record({
      i: info,
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat()),
    });
    fc.assert(fc.property(mutation, ({ i, edits, cut }) => {
      let bytes = buildExtension(i).slice();
      for (const [at, v] of edits) bytes[at % bytes.length] = v;
      if (cut !== null) bytes = bytes.subarray(0, cut % bytes.length);
      parsesOrRefuses(bytes);
    }), { seed: 73, numRuns: runs });
  });
});
