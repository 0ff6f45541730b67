/**
 * Fuzzing the tar source: mutated, truncated and random archives (plain and gzip) either load or
 * fail with a CfsError; never another exception, never a hang. The PAX record parser likewise.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { CfsError } from '../../../src/errors.js';
import { applyLayer } from '../../../src/composefs/sources/tar.js';
import { defaultDir } from '../../../src/composefs/sources/layers.js';
import { finalizeHardlinks } from '../../../src/composefs/sources/hardlinks.js';
import { parsePax } from '../../../src/composefs/sources/pax.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';
import { member, pax, tarOf } from './rawtar.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 300);
const seed = 20261125;

/** A valid archive using every feature: PAX, long names, links, devices, whiteouts, xattrs. */
const base = tarOf(
  member({ name: 'd/', type: '5', mode: 0o755 }),
  member({ name: 'd/f' }, contentOf(1, 700)),
  member({ name: 'd/small' }, Buffer.from('small')),
  pax([['path', `d/${'n'.repeat(150)}`], ['mtime', '12.5'], ['SCHILY.xattr.user.x', Buffer.from([0, 255])]]),
  member({ name: 'ignored' }, contentOf(2, 90)),
  member({ name: 'd/hl', type: '1', linkname: 'd/f' }),
  member({ name: 'd/sl', type: '2', linkname: '../x' }),
  member({ name: 'd/c', type: '3', major: 1, minor: 3 }),
  member({ name: 'd/p', type: '6' }),
  member({ name: 'd/.wh.gone' }),
);

async function load(bytes: Uint8Array): Promise<void> {
  const root = defaultDir(new Uint8Array(0));
  await applyLayer(root, (async function* () { yield bytes; })(), 'fuzz.tar', {});
  finalizeHardlinks(root);
}

async function expectCleanOutcome(bytes: Uint8Array): Promise<void> {
  try {
    await load(bytes);
  } catch (err) {
    if (!(err instanceof CfsError)) throw new Error(`not a CfsError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

describe('sources: tar fuzz', function () {
  it('the base archive loads', async () => {
    await load(base);
    await load(gzipSync(base));
  });

  it('byte mutations of a valid archive load or fail with a CfsError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[at] = v;
        await expectCleanOutcome(b);
      }),
      { numRuns: runs, seed, timeout: 10_000 },
    );
  });

  it('truncations (plain and gzip) fail with a CfsError, or load when only end blocks were cut', async () => {
    const gz = gzipSync(base);
    await fc.assert(
      fc.asyncProperty(fc.nat(base.length), fc.boolean(), async (cut, compressed) => {
        await expectCleanOutcome(compressed ? gz.subarray(0, Math.floor((cut * gz.length) / base.length)) : base.subarray(0, cut));
      }),
      { numRuns: runs, seed, timeout: 10_000 },
    );
  });

  it('byte mutations of gzip and zstd layers load or fail with a CfsError', async function () {
    needCommand(this, 'zstd');
    const zst = spawnSync('zstd', ['-q', '-c'], { input: base }).stdout;
    const gz = gzipSync(base);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (useZstd, edits) => {
        const b = Buffer.from(useZstd ? zst : gz);
        for (const [at, v] of edits) b[at % b.length] = v;
        await expectCleanOutcome(b);
      }),
      { numRuns: runs, seed, timeout: 10_000 },
    );
  });

  it('random headers (valid checksums, random fields) load or fail with a CfsError', async () => {
    const field = fc.uint8Array({ minLength: 0, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, fc.constantFrom('0', '1', '2', '3', '5', '6', 'x', 'g', 'L', 'K', 'S', 'V', '7'), field, fc.uint8Array({ maxLength: 600 })), { maxLength: 6 }), async (members) => {
        const parts = members.map(([name, type, link, data]) =>
          member({ name: Buffer.from(name), type, linkname: Buffer.from(link) }, Buffer.from(data)));
        await expectCleanOutcome(tarOf(...parts));
      }),
      { numRuns: runs, seed, timeout: 10_000 },
    );
  });

  it('PAX records: arbitrary bytes parse or fail with a CfsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        try {
          const records = parsePax(data, { file: 'x' });
          for (const v of records.values()) expect(v.length).to.be.lessThan(data.length);
        } catch (err) {
          if (!(err instanceof CfsError)) throw err;
        }
      }),
      { numRuns: runs * 10, seed },
    );
  });
});
