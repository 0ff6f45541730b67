/**
 * The Wasm zstd block decoder (assembly/zstd/decoder.ts) under the frame guard, against the real
 * `zstd` CLI: every stream it writes (levels 1, 3, 19, --ultra -22, --long=27, checksum on and
 * off, content size present and absent, many small blocks, multi-job frames, RLE, raw and
 * compressed blocks, several frames, skippable and empty frames) decodes to exactly the input,
 * however the stream is cut into chunks; memory follows the window, not the stream; a window over
 * the limit is refused as `zstd -d` refuses it.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { CfsError } from '../../../src/errors.js';
import { unzstd } from '../../../src/composefs/sources/zstd.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

async function decoded(bytes: Uint8Array, piece = 65536): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of unzstd(pieces(bytes, piece), 'l.zst')) out.push(c);
  return Buffer.concat(out);
}

/** `zstd ARGS` of `input` through a pipe (so the content size is not written unless asked). */
function zstd(input: Uint8Array, args: string[], viaPipe = false): Buffer {
  const cmd = viaPipe ? ['sh', ['-c', `zstd -q -c ${args.join(' ')} | cat`]] as const : ['zstd', ['-q', '-c', ...args]] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { input, maxBuffer: 1 << 30 });
  expect(r.status, r.stderr.toString()).to.equal(0);
  return r.stdout;
}

/** Source text: lines of words with repeats near and far (literals, matches, repeat offsets). */
function text(size: number, seed: number): Buffer {
  const words = contentOf(seed, 4096).toString('hex').match(/.{1,7}/g) ?? [];
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const line = `${i % 97} ${words[(i * 31) % words.length]} ${words[(i * 7 + seed) % words.length]} ${'x'.repeat(i % 13)}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

describe('sources: the zstd block decoder against `zstd`', function () {
  this.timeout(120_000);
  const mixed = Buffer.concat([text(700_000, 1), contentOf(2, 300_000), Buffer.alloc(200_000, 7), text(500_000, 3), Buffer.alloc(3000)]);
  const random = contentOf(5, 1_000_000);

  before(function () {
    needCommand(this, 'zstd');
  });

  const cases: [string, string[], boolean?][] = [
    ['level 1', ['-1']],
    ['level 3', ['-3']],
    ['level 19', ['-19']],
    ['level 19, no checksum, no content size', ['-19', '--no-check'], true],
    ['level 3 through a pipe (no content size)', ['-3'], true],
    ['--long=27', ['--long=27', '-3'], true],
    ['many small blocks (--target-compressed-block-size=1340)', ['--target-compressed-block-size=1340', '-9']],
    ['a 1 KiB window (--zstd=wlog=10)', ['--zstd=wlog=10', '-6']],
    ['jobs of 512 KiB (-T2 -B524288)', ['-T2', '-B524288', '-5']],
  ];
  for (const [name, args, pipe] of cases) {
    it(`${name}: mixed text, random and zero runs decode to the input`, async () => {
      const z = zstd(mixed, args, pipe);
      expect(await decoded(z)).to.deep.equal(mixed);
    });
  }

  it('--ultra -22 on a small input, fed one byte at a time', async () => {
    const small = text(40_000, 9);
    expect(await decoded(zstd(small, ['--ultra', '-22']), 1)).to.deep.equal(small);
  });

  it('random data (raw blocks) at levels 1 and 19, chunks of 1000 bytes', async () => {
    for (const level of ['-1', '-19']) expect(await decoded(zstd(random, [level]), 1000)).to.deep.equal(random);
  });

  it('several frames, skippable frames and empty frames in one stream', async () => {
    const a = text(300_000, 11);
    const b = contentOf(12, 50_000);
    const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
    const empty = zstd(Buffer.alloc(0), []);
    const emptyPiped = zstd(Buffer.alloc(0), [], true);
    const stream = Buffer.concat([zstd(a, ['-19']), skippable, empty, zstd(b, ['-1', '--no-check'], true), emptyPiped, zstd(a, ['-3'])]);
    expect(spawnSync('zstd', ['-d', '-q', '-c'], { input: stream, maxBuffer: 1 << 30 }).stdout).to.deep.equal(Buffer.concat([a, b, a]));
    expect(await decoded(stream, 7777)).to.deep.equal(Buffer.concat([a, b, a]));
  });

  it('a 256 MiB stream with a 1 MiB window decodes in memory bounded by the window, not the stream', async () => {
    const size = 256 << 20;
    const z = spawnSync('sh', ['-c', `yes 'cfskit: one line the window holds many times over' | head -c ${size} | zstd -q -c -1 --zstd=wlog=20`], { maxBuffer: 1 << 28 }).stdout;
    expect(z[5] >> 3, 'the header claims 2^20').to.equal(10);
    const before = process.memoryUsage.rss();
    let peak = before;
    let n = 0;
    for await (const c of unzstd(pieces(z, 65536), 'l.zst')) {
      n += c.length;
      if ((n & 0xfffff) < c.length) peak = Math.max(peak, process.memoryUsage.rss());
    }
    expect(n).to.equal(size); // and the frame's XXH64 matched
    expect(peak - before).to.be.lessThan(96 << 20);
  });

  it('a frame needing a 256 MiB window (--long=28) is refused as `zstd -d` refuses it', async () => {
    const z = zstd(mixed, ['--long=28', '-1'], true);
    expect(spawnSync('zstd', ['-d', '-q', '-c'], { input: z }).status).to.not.equal(0);
    const err = await decoded(z).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect((err as CfsError).message).to.match(/^l\.zst:offset 0: zstd: zstd frame needs a 256 MiB window, over the 128 MiB limit/);
  });
});
