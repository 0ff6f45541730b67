/** Hostile `.filez` objects: reading and streaming them ends in a CfsError or a verified result, never another exception. */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { CfsError } from '../../src/errors.js';
import { encode } from '../../src/formats/gvariant.js';
import { initRepo } from '../../src/ostree/repo.js';
import { objectPath } from '../../src/ostree/objects.js';
import { contentChunks, readContentObject, verifySymlink } from '../../src/ostree/content.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 300);
const CHECKSUM = 'ab'.repeat(32);

describe('ostree content object reader fuzz', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-filez-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('mutated and random .filez files', async () => {
    const repo = initRepo(join(dir, 'repo'), 'archive');
    const path = objectPath(repo, CHECKSUM, 'filez');
    mkdirSync(dirname(path), { recursive: true });
    const header = encode('(tuuuusa(ayay))', [5n, 0, 0, 0o100644, 0, '', []], 'be');
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(header.length);
    const valid = Buffer.concat([prefix, header, deflateRawSync(Buffer.from('hello'))]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([pos, x]) => {
          const b = Buffer.from(valid);
          b[pos % b.length] ^= x;
          return b;
        }),
        fc.nat({ max: valid.length }).map((n) => valid.subarray(0, n)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      ), async (bytes) => {
        writeFileSync(path, bytes);
        try {
          const obj = await readContentObject(repo, CHECKSUM);
          if (obj.target) verifySymlink(obj);
          else for await (const chunk of contentChunks(obj)) void chunk;
          expect.fail('a wrong checksum must not verify');
        } catch (e) {
          if (!(e instanceof CfsError)) throw e;
        }
      }),
      { seed: 41, numRuns: runs },
    );
  });
});
