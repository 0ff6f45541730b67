/**
 * Issue #15 item 3: a corrupt compressed layer is refused, never decoded into wrong bytes. Single
 * bit flips of a real `zstd` frame (checksummed, the CLI's default) give the same verdict as
 * `zstd -t`; gzip members are checked by CRC32 and ISIZE, and truncation or trailing bytes are refused.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { CfsError } from '../../../src/errors.js';
import { applyLayer } from '../../../src/composefs/sources/tar.js';
import { defaultDir } from '../../../src/composefs/sources/layers.js';
import { unzstd } from '../../../src/composefs/sources/zstd.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';
import { member, tarOf } from './rawtar.js';

const tar = tarOf(
  member({ name: 'a' }, contentOf(1, 300_000)),
  member({ name: 'b' }, Buffer.from('a small text file\n'.repeat(400))),
  member({ name: 'c' }, contentOf(2, 5000)),
);

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function decoded(bytes: Uint8Array): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of unzstd(once(bytes), 'l.tar.zst')) parts.push(c);
  return Buffer.concat(parts);
}

async function refusal(bytes: Uint8Array, file: string): Promise<CfsError | null> {
  try {
    await applyLayer(defaultDir(new Uint8Array(0)), once(bytes), file, {});
    return null;
  } catch (err) {
    if (err instanceof CfsError) return err;
    throw err;
  }
}

describe('sources: corrupt compressed layers (issue #15 item 3)', function () {
  this.timeout(60_000);

  it('the frame checksum is the low 32 bits of XXH64: reference vectors, and odd block sizes', async function () {
    /** A frame (1 KiB window, checksum flag) of raw blocks of `sizes`, ending with checksum `sum`. */
    const frame = (data: Buffer, sizes: number[], sum: number): Buffer => {
      const parts: Uint8Array[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00])];
      let off = 0;
      sizes.forEach((n, i) => {
        const head = Buffer.alloc(3);
        head.writeUIntLE((n << 3) | (i === sizes.length - 1 ? 1 : 0), 0, 3);
        parts.push(head, data.subarray(off, (off += n)));
      });
      const tail = Buffer.alloc(4);
      tail.writeUInt32LE(sum >>> 0);
      return Buffer.concat([...parts, tail]);
    };
    const abc = Buffer.from('abc');
    expect(await decoded(frame(Buffer.alloc(0), [0], 0x51d8e999))).to.deep.equal(Buffer.alloc(0)); // XXH64('') = ef46db3751d8e999
    expect(await decoded(frame(abc, [3], 0xad770999))).to.deep.equal(abc); // XXH64('abc') = 44bc2cf5ad770999
    const wrong = await decoded(frame(abc, [3], 0xad770998)).then(() => null, (e: unknown) => e);
    expect((wrong as CfsError).message).to.match(/frame checksum mismatch \(content 0xad770999, frame says 0xad770998\)$/);
    needCommand(this, 'zstd');
    // the checksum zstd writes for 100,003 bytes, over raw blocks of 1 to 97 bytes
    const data = contentOf(3, 100_003);
    const z = spawnSync('zstd', ['-q', '-c'], { input: data }).stdout;
    const sizes: number[] = [];
    for (let off = 0, step = 1; off < data.length; off += step, step = (step * 7) % 97 + 1) sizes.push(Math.min(step, data.length - off));
    expect(await decoded(frame(data, sizes, z.readUInt32LE(z.length - 4)))).to.deep.equal(data);
  });

  it('25 single-bit flips of a .tar.zst: refused exactly when `zstd -t` refuses them, with a CfsError', async function () {
    needCommand(this, 'zstd');
    const zst = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    expect(await decoded(zst)).to.deep.equal(tar);
    let refused = 0;
    for (let i = 0; i < 25; i++) {
      const b = Buffer.from(zst);
      const at = 4 + Math.floor(((b.length - 4) * (i + 0.5)) / 25);
      b[at] ^= 1 << (i % 8);
      const peerOk = spawnSync('zstd', ['-t', '-q'], { input: b }).status === 0;
      const err = await refusal(b, 'l.tar.zst');
      expect(err === null, `flip at byte ${at}: zstd -t ${peerOk ? 'accepts' : 'refuses'}, we ${err ? 'refuse' : 'accept'}`).to.equal(peerOk);
      if (err) {
        expect(err.message).to.match(/^l\.tar\.zst:/);
        refused++;
      } else {
        expect(await decoded(b)).to.deep.equal(spawnSync('zstd', ['-d', '-c', '-q'], { input: b, maxBuffer: 1 << 30 }).stdout);
      }
    }
    expect(refused).to.be.greaterThanOrEqual(24);
  });

  it('a flipped checksum, trailing bytes and truncations are refused', async function () {
    needCommand(this, 'zstd');
    const zst = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    const sum = Buffer.from(zst);
    sum[sum.length - 1] ^= 0x80;
    expect((await refusal(sum, 'l.tar.zst'))?.message).to.match(/frame checksum mismatch/);
    expect((await refusal(Buffer.concat([zst, Buffer.from('garbage!')]), 'l.tar.zst'))?.message).to.match(/no zstd frame magic/);
    expect((await refusal(zst.subarray(0, zst.length - 2), 'l.tar.zst'))?.message).to.match(/truncated frame checksum/);
    expect((await refusal(zst.subarray(0, zst.length >> 1), 'l.tar.zst'))?.message).to.match(/truncated/);
  });

  it('gzip: flipped data, CRC32 or ISIZE, truncation and trailing garbage are refused', async () => {
    const gz = gzipSync(tar);
    const flip = (at: number) => {
      const b = Buffer.from(gz);
      b[at] ^= 0x10;
      return b;
    };
    for (const [name, bytes] of [
      ['data', flip(gz.length >> 1)],
      ['CRC32', flip(gz.length - 6)],
      ['ISIZE', flip(gz.length - 2)],
      ['truncation', gz.subarray(0, gz.length - 3)],
      ['trailing garbage', Buffer.concat([gz, Buffer.from('garbage')])],
    ] as const) {
      const err = await refusal(bytes, 'l.tar.gz');
      expect(err, name).to.be.instanceOf(CfsError);
      expect(err!.message, name).to.match(/^l\.tar\.gz: gzip: corrupt or truncated gzip stream/);
    }
  });
});
