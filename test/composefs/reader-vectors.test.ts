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
import { expectedTree, firstDifference } from './reader-model.js';

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
