/**
 * The reader against C mkcomposefs images: `printDump(readImage(C image))` must equal the dump of
 * what the loader semantics give for the vector's own dumpfile (reader-model.ts), for every
 * random vector and both format versions.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { randomVectors } from './vectors.js';
import { expectedTree } from './reader-model.js';

/** The first differing line, for a readable failure. */
export function firstDifference(got: Uint8Array, want: Uint8Array): string | null {
  if (Buffer.from(got).equals(want)) return null;
  const a = Buffer.from(got).toString('latin1').split('\n');
  const b = Buffer.from(want).toString('latin1').split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `line ${i + 1}:\n  got:  ${a[i]?.slice(0, 300)}\n  want: ${b[i]?.slice(0, 300)}`;
}

describe('composefs reader on the C images of the random vectors', () => {
  let compared = 0;
  for (const v of randomVectors()) {
    for (const version of [0, 1] as const) {
      const file = v.path.replace(/\.dump\.gz$/, `.v${version}.cfs.gz`);
      if (!existsSync(file)) continue; // C refused this input (a `fail` vector): no image
      it(`${v.name} v${version}: info dump equals the loader model of the dumpfile`, () => {
        const root = readImage(gunzipSync(readFileSync(file)), { file });
        const want = printDump(expectedTree(parseDump(v.dump, { strict: true, file: v.name }), version));
        expect(firstDifference(printDump(root), want)).to.equal(null);
        compared++;
      });
    }
  }
  after(() => {
    if (compared > 0) expect(compared).to.equal(138);
  });
});
