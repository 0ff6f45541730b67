/**
 * Fuzz of the Wasm zstd block decoder: mutated valid frames without checksums (so a damaged block
 * reaches the decoder's output, not only the checksum) either decode to exactly what `zstd -d`
 * decodes from the same bytes, or are refused with a CfsError (one line: file, offset, reason)
 * where `zstd -d` refuses them too (or, stricter than it, for a bitstream whose bits do not end
 * with its symbols: STRICTER); never another exception, a trap or a hang, and memory stays
 * bounded. Seeded; CFSKIT_FUZZ_RUNS runs per property.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { CfsError } from '../../../src/errors.js';
import { unzstd } from '../../../src/composefs/sources/zstd.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 100);
const seed = 20261204;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Our decoded bytes, or the CfsError (anything else fails the test). */
async function ours(bytes: Uint8Array): Promise<Buffer | CfsError> {
  const out: Uint8Array[] = [];
  try {
    for await (const c of unzstd(once(bytes), 'f.zst')) out.push(c);
    return Buffer.concat(out);
  } catch (err) {
    if (err instanceof CfsError) return err;
    throw new Error(`not a CfsError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/** `zstd -d`'s bytes, or null when it refuses the stream. */
function theirs(bytes: Uint8Array): Buffer | null {
  const r = spawnSync('zstd', ['-d', '-q', '-c', '--no-check'], { input: bytes, maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}

async function sameVerdict(bytes: Uint8Array): Promise<void> {
  const a = await ours(bytes);
  const b = theirs(bytes);
  if (a instanceof CfsError) {
    expect(a.message).to.match(/^f\.zst:offset \d+: zstd: [^\n]+$/);
    if (b !== null) expect(STRICTER.test(a.message), `we refuse (${a.message}) what zstd -d decodes`).to.equal(true);
  } else {
    expect(b, 'we decode what zstd -d refuses').to.not.equal(null);
    expect(Buffer.compare(a, b as Buffer), 'the bytes zstd -d decodes').to.equal(0);
  }
}

/**
 * What we refuse and `zstd -d` (1.5) lets through: a Huffman stream whose bits do not end with its
 * literals (its fast loops check only the output length), a sequences bitstream read past its start.
 */
const STRICTER = /: (Huffman stream does not hold exactly its literals|sequences bitstream does not hold exactly its sequences)$/;

const options = {
  numRuns: runs,
  seed,
  reporter: (out: fc.RunDetails<any>) => { // any: one reporter serves properties of every argument tuple
    if (out.failed) throw new Error(`seed ${out.seed}, path ${out.counterexamplePath}: ${(out.errorInstance as Error)?.message}`);
  },
};

/** Lines of repeated words: Huffman literals, FSE sequences, repeat offsets. */
const words = Buffer.from(
  Array.from({ length: 6000 }, (_, i) => `${i % 89} ${contentOf(i % 41, 6).toString('hex')} ${'ab'.repeat(i % 11)}\n`).join(''),
);
const source = Buffer.concat([words, contentOf(3, 20_000), Buffer.alloc(5000, 1), words.subarray(0, 30_000)]);

describe('sources: zstd block decoder fuzz (mutated frames against `zstd -d`)', function () {
  this.timeout(0);
  const frames: Buffer[] = [];
  const rssBefore = process.memoryUsage().rss;

  before(function () {
    needCommand(this, 'zstd');
    for (const args of [['-19'], ['-1'], ['--target-compressed-block-size=600', '-7']]) {
      frames.push(spawnSync('sh', ['-c', `zstd -q -c --no-check ${args.join(' ')} | cat`], { input: source, maxBuffer: 1 << 28 }).stdout);
    }
  });

  after(() => {
    expect(process.memoryUsage().rss - rssBefore).to.be.lessThan(512 << 20);
  });

  it('the unmodified frames decode to the source', async () => {
    for (const f of frames) expect(await ours(f)).to.deep.equal(source);
  });

  it('1-4 bit flips after the frame header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(frames.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), async (which, spots) => {
        const b = Buffer.from(frames[which]);
        for (const s of spots) {
          const bit = 6 * 8 + (s % ((b.length - 6) * 8));
          b[bit >> 3] ^= 1 << (bit & 7);
        }
        await sameVerdict(b);
      }),
      options,
    );
  });

  it('a run of random bytes written over the blocks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(frames.length - 1), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 24 }), async (which, at, bytes) => {
        const b = Buffer.from(frames[which]);
        b.set(bytes.subarray(0, b.length - 6), 6 + (at % (b.length - 6 - Math.min(bytes.length, b.length - 6) + 1)));
        await sameVerdict(b);
      }),
      options,
    );
  });

  it('bytes deleted or inserted inside the blocks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(frames.length - 1), fc.nat(), fc.integer({ min: -16, max: 16 }), async (which, at, n) => {
        const f = frames[which];
        const cut = 6 + (at % (f.length - 6));
        const b = n < 0 ? Buffer.concat([f.subarray(0, cut), f.subarray(Math.min(f.length, cut - n))]) : Buffer.concat([f.subarray(0, cut), Buffer.alloc(n, at & 0xff), f.subarray(cut)]);
        await sameVerdict(b);
      }),
      options,
    );
  });
});
