/**
 * Decompression fuzz (issue #15): bit flips, truncations and window claims in gzip and zstd
 * layers. Every input either decodes to exactly the original bytes (a flip the format does not
 * cover, e.g. a gzip header's mtime) or is refused with a CfsError; never another exception, and
 * memory stays bounded (window claims are refused from the header). Seeded; CFSKIT_FUZZ_RUNS runs.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { CfsError } from '../../../src/errors.js';
import { decompress } from '../../../src/composefs/sources/decompress.js';
import { ZSTD_WINDOW_MAX } from '../../../src/composefs/sources/zstd.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 300);
const seed = 20261203;

/** Half random, half text: both raw and compressed blocks. */
const original = Buffer.concat([contentOf(7, 150_000), Buffer.from('text that compresses well\n'.repeat(8000))]);

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

/** The decoded bytes, or the CfsError (anything else fails the test). */
async function outcome(bytes: Uint8Array, piece = 65536): Promise<Buffer | CfsError> {
  const out: Uint8Array[] = [];
  try {
    for await (const c of decompress(pieces(bytes, piece), 'layer')) out.push(c);
    return Buffer.concat(out);
  } catch (err) {
    if (err instanceof CfsError) return err;
    throw new Error(`not a CfsError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

function expectOriginalOrRefused(r: Buffer | CfsError): void {
  if (r instanceof CfsError) {
    expect(r.message).to.match(/^layer:/);
    return;
  }
  expect(Buffer.compare(r, original), 'an accepted stream decodes to the original bytes').to.equal(0);
}

const options = (n = runs) => ({
  numRuns: n,
  seed,
  reporter: (out: fc.RunDetails<any>) => { // any: one reporter serves properties of every argument tuple
    if (out.failed) throw new Error(`seed ${out.seed}, path ${out.counterexamplePath}: ${(out.errorInstance as Error)?.message}`);
  },
});

describe('sources: decompression fuzz (gzip and zstd)', function () {
  this.timeout(0);
  let zst: Buffer;
  const gz = gzipSync(original);
  const rssBefore = process.memoryUsage().rss;

  before(function () {
    needCommand(this, 'zstd');
    zst = spawnSync('zstd', ['-q', '-c', '-3'], { input: original, maxBuffer: 1 << 30 }).stdout;
  });

  after(() => {
    // window claims are refused from the header: no run allocates a large window
    expect(process.memoryUsage().rss - rssBefore).to.be.lessThan(512 << 20);
  });

  it('the unmodified streams decode', async () => {
    for (const b of [zst, gz, Buffer.concat([gz, gz.subarray(0, 0)])]) expect(await outcome(b)).to.deep.equal(original);
  });

  // (a stream whose magic is damaged is no longer detected as compressed: the tar reader refuses it, tar.fuzz.test.ts)
  for (const [name, stream, magic] of [['zstd', () => zst, 4], ['gzip', () => gz, 2]] as const) {
    it(`${name}: 1-3 bit flips after the magic decode to the original or are refused`, async () => {
      const s = stream();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: magic * 8, max: s.length * 8 - 1 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 70_000 }), async (bits, piece) => {
          const b = Buffer.from(s);
          for (const bit of bits) b[bit >> 3] ^= 1 << (bit & 7);
          expectOriginalOrRefused(await outcome(b, piece));
        }),
        options(),
      );
    });

    it(`${name}: every truncation after the magic is refused`, async () => {
      const s = stream();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: magic, max: s.length - 1 }), async (len) => {
          const r = await outcome(s.subarray(0, len));
          expect(r, `prefix of ${len} bytes`).to.be.instanceOf(CfsError);
        }),
        options(),
      );
    });
  }

  it('zstd: random frame headers (window and content size claims) decode, or are refused naming the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 140_000 })), { maxLength: 3 }),
        async (fhd, wd, fcs, blocks) => {
          const single = (fhd >> 5) & 1;
          const fcsBytes = fhd >> 6 === 0 ? single : 1 << (fhd >> 6);
          const header = [0x28, 0xb5, 0x2f, 0xfd, fhd & ~3, ...(single ? [] : [wd]), ...fcs.subarray(0, fcsBytes)];
          const body = blocks.flatMap(([type, size], i) => {
            const last = i === blocks.length - 1 ? 1 : 0;
            const h = (size << 3) | (type << 1) | last;
            const content = type === 1 ? 1 : type === 0 ? size : Math.min(size, 64);
            return [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, ...new Array<number>(content).fill(0x41)];
          });
          const r = await outcome(Buffer.from([...header, ...body]));
          const exp = wd >> 3;
          const window = single ? -1 : 2 ** (10 + exp) * (1 + (wd & 7) / 8);
          if (!single && window > ZSTD_WINDOW_MAX && !(fhd & 8)) {
            expect(r).to.be.instanceOf(CfsError);
            expect((r as CfsError).message).to.match(/window, over the 128 MiB limit/);
          } else if (!(r instanceof CfsError)) {
            expect(r.length).to.be.at.most(3 * (128 << 10));
          }
        },
      ),
      options(),
    );
  });
});
