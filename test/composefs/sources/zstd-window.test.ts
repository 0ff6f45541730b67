/**
 * Issue #15 item 4: a zstd frame whose window is over ZSTD_WINDOW_MAX (128 MiB, what `zstd -d`
 * decodes without --long) is refused from its header, with one line naming the file, the frame's
 * offset and the window, before any window is allocated; a 128 MiB window is still decoded.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { CfsError } from '../../../src/errors.js';
import { applyLayer } from '../../../src/composefs/sources/tar.js';
import { defaultDir } from '../../../src/composefs/sources/layers.js';
import { ZSTD_WINDOW_MAX } from '../../../src/composefs/sources/zstd.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';
import { member, tarOf } from './rawtar.js';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function load(bytes: Uint8Array, file: string): Promise<void> {
  await applyLayer(defaultDir(new Uint8Array(0)), once(bytes), file, {});
}

/** A frame without content size whose Window_Descriptor is `wd`, then `blocks` raw 128 KiB blocks (the bomb of the issue). */
function bomb(wd: number, blocks: number): Buffer {
  const raw = Buffer.alloc(3 + (128 << 10));
  raw.writeUIntLE(((128 << 10) << 3) | 0, 0, 3);
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, wd]), ...Array.from({ length: blocks }, () => raw)]);
}

describe('sources: zstd window limit (issue #15 item 4)', function () {
  this.timeout(60_000);
  const tar = tarOf(member({ name: 'f' }, contentOf(4, 200_000)));

  it('the limit is 128 MiB', () => {
    expect(ZSTD_WINDOW_MAX).to.equal(128 * 1024 * 1024);
  });

  it('a 400 KB frame claiming a 1.88 GiB window is refused from its header, naming file, offset and window', async () => {
    // a first, valid frame, so the bomb's offset is not 0
    const frames = Buffer.concat([bomb(0x50, 0).subarray(0, 6), Buffer.from([1, 0, 0]), bomb(0xa7, 3)]);
    const err = await load(frames, 'bomb.tar.zst').then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect((err as CfsError).message).to.equal(
      'bomb.tar.zst:offset 9: zstd: zstd frame needs a 1.88 GiB window, over the 128 MiB limit (what zstd -d decodes without --long)',
    );
  });

  it('a real `zstd --long=30` stream is refused as `zstd -d` refuses it; --long=27 decodes', async function () {
    needCommand(this, 'zstd');
    // through a pipe, so zstd does not shrink the window to the input's size
    const long30 = spawnSync('sh', ['-c', 'zstd -q -c --long=30'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    expect(spawnSync('zstd', ['-d', '-q', '-c'], { input: long30 }).status).to.not.equal(0);
    const err = await load(long30, 'long.tar.zst').then(() => null, (e: unknown) => e);
    expect((err as CfsError).message).to.match(/^long\.tar\.zst:offset 0: zstd: zstd frame needs a 1\.00 GiB window, over the 128 MiB limit/);
    const long27 = spawnSync('sh', ['-c', 'zstd -q -c --long=27'], { input: tar, maxBuffer: 1 << 30 }).stdout;
    expect(long27[5] >> 3).to.equal(17); // the header claims 2^27
    await load(long27, 'ok.tar.zst');
  });

  it('a single-segment frame whose content size is over the limit is refused the same way', async () => {
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 1, 0, 0, 0]); // FCS 2^32, 8 bytes
    const err = await load(Buffer.concat([header, Buffer.from([1, 0, 0])]), 's.zst').then(() => null, (e: unknown) => e);
    expect((err as CfsError).message).to.match(/needs a 4\.00 GiB window/);
  });
});
