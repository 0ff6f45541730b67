import { expect } from 'chai';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../src/errors.js';
import { rangePool } from '../../src/fsverity/range.js';
import { hashLevel1Range } from '../../src/fsverity/range.js';

describe('fs-verity worker jobs', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-fsverity-workers-'));
    file = join(dir, 'f');
    writeFileSync(file, new Uint8Array(3 << 19).fill(1)); // three level-1 spans of sha256/4096
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a range past the end of the file (it shrank) is refused with its offset', () => {
    const fd = openSync(file, 'r');
    try {
      expect(() => hashLevel1Range({ fd, path: file, position: 0, length: 4 << 19, opts: {} }))
        .to.throw(CfsError, 'file changed while being read')
        .with.property('offset', 3 << 19);
    } finally {
      closeSync(fd);
    }
  });

  it('a failing job rejects with the worker’s reason, and the pool keeps working', async () => {
    const bad = rangePool.run({ fd: 1 << 20, path: file, position: 0, length: 1 << 19, opts: {} }, 2);
    const err = await bad.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect((err as CfsError).message).to.match(/EBADF|bad file descriptor/i);
    const fd = openSync(file, 'r');
    try {
      const digests = await rangePool.run({ fd, path: file, position: 0, length: 3 << 19, opts: {} }, 2);
      expect(Buffer.from(digests)).to.deep.equal(Buffer.from(hashLevel1Range({ fd, path: file, position: 0, length: 3 << 19, opts: {} })));
      expect(digests).to.have.length(3 * 32);
    } finally {
      closeSync(fd);
    }
  });
});
