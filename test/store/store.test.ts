/** The digest store on its own, and the progress bar's TTY rule. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CfsError } from '../../src/errors.js';
import { digestBytes } from '../../src/fsverity/index.js';
import { ObjectStore, objectPath } from '../../src/store/objects.js';
import { createProgress } from '../../src/cli/progress.js';
import { contentOf } from '../composefs/sources/fixtures.js';

async function* chunksOf(data: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('sources: digest store', function () {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-store-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const list = (dir: string): string[] => readdirSync(dir).flatMap((xx) => readdirSync(join(dir, xx)).map((r) => `${xx}/${r}`)).sort();

  it('stores each content once under XX/REST of its fs-verity digest, small (memory) and large (temp file) alike', async () => {
    const store = new ObjectStore(join(work, 's'));
    const small = contentOf(1, 5000);
    const large = contentOf(2, (3 << 20) + 7);
    for (const data of [small, large, small, large]) {
      const obj = await store.addStream(chunksOf(data), BigInt(data.length), { file: 'x' });
      expect(obj.payload).to.equal(objectPath(digestBytes(data).hex));
    }
    await store.addBytes(small);
    expect(list(join(work, 's'))).to.deep.equal([objectPath(digestBytes(small).hex), objectPath(digestBytes(large).hex)].sort());
    expect(readFileSync(join(work, 's', objectPath(digestBytes(large).hex))).equals(large)).to.equal(true);
    expect(statSync(join(work, 's', objectPath(digestBytes(large).hex))).mode & 0o777).to.equal(0o644);
  });

  it('leaves an existing object of the right size alone and replaces one of the wrong size', async () => {
    const data = contentOf(3, 1000);
    const path = objectPath(digestBytes(data).hex);
    mkdirSync(join(work, 's', path.slice(0, 2)), { recursive: true });
    writeFileSync(join(work, 's', path), Buffer.alloc(1000, 0x55)); // right size: trusted
    const store = new ObjectStore(join(work, 's'));
    await store.addBytes(data);
    expect(readFileSync(join(work, 's', path))[0]).to.equal(0x55);
    writeFileSync(join(work, 's', path), 'short'); // wrong size: replaced
    await store.addBytes(data);
    expect(readFileSync(join(work, 's', path)).equals(data)).to.equal(true);
  });

  it('a stream longer or shorter than announced is refused, leaving no temp file and no object', async () => {
    const store = new ObjectStore(join(work, 's'));
    const data = contentOf(4, (2 << 20) + 1);
    for (const size of [BigInt(data.length - 1), BigInt(data.length + 1)]) {
      let err: unknown;
      await store.addStream(chunksOf(data), size, { file: 'f', field: 'entry' }).catch((e) => (err = e));
      expect(err).to.be.instanceOf(CfsError);
      expect((err as CfsError).message).to.match(/^f: entry: content size mismatch/);
    }
    expect(readdirSync(join(work, 's'))).to.deep.equal([]);
  });

  it('with deferWrites, objects are written in the background and all on disk after flush()', async () => {
    const store = new ObjectStore(join(work, 's'), { deferWrites: true });
    const contents = Array.from({ length: 40 }, (_, i) => contentOf(i, 100 + i));
    await Promise.all(contents.map((c) => store.addBytes(c)));
    await store.flush();
    expect(list(join(work, 's'))).to.deep.equal(contents.map((c) => objectPath(digestBytes(c).hex)).sort());
  });
});

describe('sources: progress bar', () => {
  const sink = (isTTY: boolean) => {
    let text = '';
    const s = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }) as unknown as NodeJS.WriteStream;
    Object.assign(s, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    return { stream: s, text: () => text };
  };
  it('draws only on a TTY and not with --quiet', () => {
    expect(createProgress({ stream: sink(false).stream })).to.equal(undefined);
    expect(createProgress({ quiet: true, stream: sink(true).stream })).to.equal(undefined);
    const tty = sink(true);
    const p = createProgress({ stream: tty.stream })!;
    p.setTotal(10 << 20);
    p.advance(3, 5 << 20);
    p.stop();
    expect(tty.text()).to.match(/3 files \| 5\.0\/10\.0 MiB/);
  });
});
