/**
 * The DIGEST field as C mkcomposefs 1.0.8 reads it (docs/FORMAT.md "DIGEST field"): never refused,
 * the first 64 hex digits of the unescaped field are the digest; both parsers agree.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import type { Node } from '../../src/tree/tree.js';
import { comparable, DEFAULT_BUILD, jsOutcome, wasmOutcome } from './wasm-differential.js';
import { VECTOR_DIR } from './vectors.js';

const DIR = join(VECTOR_DIR, 'digest');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dumps = readdirSync(DIR).filter((f) => f.endsWith('.dump')).sort();

function fileDigest(dump: Uint8Array): Uint8Array | null {
  const root = parseDump(dump, { strict: true });
  return (root.children!.find((c: Node) => Buffer.from(c.name).toString() === 'jsa23hb7k52t5fqkute8xcnu') as Node).digest;
}

function imageOf(name: string): { js: string; wasm: string; sha: string } {
  const dump = readFileSync(join(DIR, name));
  const js = jsOutcome(dump);
  const wasm = wasmOutcome(dump, DEFAULT_BUILD, 7);
  if (!('image' in js)) throw new Error(`${name}: ${comparable(js)}`);
  return { js: comparable(js), wasm: comparable(wasm), sha: sha256(js.image) };
}

describe('dumpfile DIGEST field (as C 1.0.8)', () => {
  const none = imageOf('rand-0024-none.dump');

  it('has vectors of both kinds', () => {
    expect(dumps.filter((d) => dumps.includes(d) && readdirSync(DIR).includes(`${d}.sha256`))).to.have.length.greaterThan(3);
    expect(dumps.filter((d) => !readdirSync(DIR).includes(`${d}.sha256`))).to.have.length.greaterThan(3);
  });

  for (const name of dumps) {
    it(name, () => {
      const got = imageOf(name);
      expect(got.wasm, 'Wasm parser = TypeScript parser').to.equal(got.js);
      let want: string;
      try {
        want = readFileSync(join(DIR, `${name}.sha256`), 'utf8').trim();
        expect(fileDigest(readFileSync(join(DIR, name)))).to.not.equal(null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        want = none.sha;
        expect(fileDigest(readFileSync(join(DIR, name)))).to.equal(null);
      }
      expect(got.sha).to.equal(want);
    });
  }

  it('a digest changes the image (the no-digest vectors are not vacuous)', () => {
    expect(none.sha).to.not.equal(readFileSync(join(DIR, 'rand-0024-upper.dump.sha256'), 'utf8').trim());
  });
});
