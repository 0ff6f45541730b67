/** The directory source with its files hashed (and stored) by worker threads gives what one thread gives. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { digestBytes } from '../../../src/fsverity/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { filesPool, filesTuning } from '../../../src/composefs/sources/files-job.js';
import { objectPath } from '../../../src/store/objects.js';
import { canonical, contentOf } from './fixtures.js';

describe('sources: directory files hashed by worker threads', function () {
  this.timeout(120_000);
  let work: string;
  const saved = { ...filesTuning };
  const contents: Buffer[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-threads-'));
    // sizes across inline, batch (one block, several blocks, a full tree level) and streamed files
    const sizes = [0, 1, 64, 65, 4096, 4097, 20_000, 128 * 4096 + 1, (1 << 20) - 1, 1 << 20, (3 << 20) + 5];
    for (let i = 0; i < 300; i++) {
      const dir = join(work, 'tree', `d${i % 7}`);
      mkdirSync(dir, { recursive: true });
      const data = contentOf(i % 250, i < sizes.length ? sizes[i] : 65 + ((i * 7919) % 30_000));
      writeFileSync(join(dir, `f${i}`), data);
      contents.push(data);
    }
    Object.assign(filesTuning, { jobFiles: 16, minFiles: 1 });
  });
  after(() => {
    Object.assign(filesTuning, saved);
    rmSync(work, { recursive: true, force: true });
  });

  const objects = (store: string): string[] => readdirSync(store).flatMap((xx) => readdirSync(join(store, xx)).map((r) => `${xx}/${r}`)).sort();

  it('gives the same tree and the same store with 1 and 3 threads', async () => {
    const one = await loadLocalSource({ kind: 'dir', paths: [join(work, 'tree')], options: { threads: 1, digestStore: join(work, 's1') } });
    const three = await loadLocalSource({ kind: 'dir', paths: [join(work, 'tree')], options: { threads: 3, digestStore: join(work, 's3') } });
    expect(canonical(three)).to.deep.equal(canonical(one));
    const want = [...new Set(contents.filter((c) => c.length > 64).map((c) => objectPath(digestBytes(c).hex)))].sort();
    expect(objects(join(work, 's3'))).to.deep.equal(want);
    expect(objects(join(work, 's1'))).to.deep.equal(want);
    for (const o of want) expect(readFileSync(join(work, 's3', o)).equals(readFileSync(join(work, 's1', o))), o).to.equal(true);
    const noStore = await loadLocalSource({ kind: 'dir', paths: [join(work, 'tree')], options: { threads: 2 } });
    expect(canonical(noStore)).to.deep.equal(canonical(one));
  });

  it('a worker that meets a file of another size than announced fails the job with a CfsError naming it', async () => {
    const path = join(work, 'tree', 'd0', 'f0');
    writeFileSync(path, contentOf(1, 5000));
    let err: unknown;
    await filesPool.run({ paths: [Buffer.from(path)], sizes: [4000], store: null }, 2).catch((e) => (err = e));
    expect(err).to.be.instanceOf(CfsError);
    expect((err as CfsError).message).to.equal(`${path}: content size mismatch: more than the 4000 bytes announced`);
    err = undefined;
    await filesPool.run({ paths: [Buffer.from(join(work, 'missing'))], sizes: [100], store: null }, 2).catch((e) => (err = e));
    expect((err as CfsError).message).to.equal(`${join(work, 'missing')}: error accessing: ENOENT`);
  });
});
