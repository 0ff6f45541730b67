import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parallelTuning } from '../../src/fsverity/file.js';
import { digestBytes, digestFile, digestMany, digestStream, FsverityHasher, type FsverityOptions, type HashAlg } from '../../src/fsverity/index.js';
import { chunks, ruleContent } from './content.js';

interface Case {
  size: number;
  hashAlg: HashAlg;
  blockSize: number;
  salt: string;
  digest: string;
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/fsverity/digests.json', import.meta.url), 'utf8')) as {
  seed: number;
  cases: Case[];
};

const optsOf = (c: Case): FsverityOptions => ({ hashAlg: c.hashAlg, blockSize: c.blockSize, salt: Buffer.from(c.salt, 'hex') });
const label = (c: Case) => `${c.size} bytes, ${c.hashAlg}, block ${c.blockSize}${c.salt ? `, salt ${c.salt}` : ''}`;

describe('fs-verity vectors (fsverity-utils digests.json)', function () {
  const sizes = [...new Set(vectors.cases.map((c) => c.size))];
  let dir: string;
  const data = new Map<number, Uint8Array>();
  const path = (size: number) => join(dir, `f${size}`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-fsverity-vectors-'));
    for (const size of sizes) {
      data.set(size, ruleContent(size, vectors.seed));
      writeFileSync(path(size), data.get(size)!);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`has all ${vectors.cases.length} cases`, () => {
    expect(vectors.cases.length).to.equal(142);
  });

  it('digestBytes (sync) gives every digest', () => {
    for (const c of vectors.cases) expect(digestBytes(data.get(c.size)!, optsOf(c)).text, label(c)).to.equal(c.digest);
  });

  it('digestMany (files of each parameter set batched together) gives every digest', () => {
    const groups = new Map<string, Case[]>();
    for (const c of vectors.cases) groups.set(label({ ...c, size: 0 }), [...(groups.get(label({ ...c, size: 0 })) ?? []), c]);
    for (const group of groups.values()) {
      const got = digestMany(group.map((c) => data.get(c.size)!), optsOf(group[0]));
      group.forEach((c, i) => expect(got[i].text, label(c)).to.equal(c.digest));
    }
  });

  it('FsverityHasher fed odd-sized chunks gives every digest', () => {
    for (const [i, c] of vectors.cases.entries()) {
      const h = new FsverityHasher(optsOf(c));
      for (const part of chunks(data.get(c.size)!, i + 1, c.size > 1 << 20 ? 300_000 : 5000)) h.update(part);
      expect(h.digest().text, label(c)).to.equal(c.digest);
    }
  });

  it('digestStream gives every digest', async () => {
    for (const [i, c] of vectors.cases.entries()) {
      const d = await digestStream(chunks(data.get(c.size)!, i + 7, 1 << 20) as unknown as AsyncIterable<Uint8Array>, optsOf(c));
      expect(d.text, label(c)).to.equal(c.digest);
    }
  });

  it('digestFile on the calling thread (workers: 1) gives every digest', async () => {
    for (const c of vectors.cases) expect((await digestFile(path(c.size), { ...optsOf(c), workers: 1 })).text, label(c)).to.equal(c.digest);
  });

  it('digestFile with workers, default split, gives every digest', async () => {
    for (const c of vectors.cases) expect((await digestFile(path(c.size), { ...optsOf(c), workers: 2 })).text, label(c)).to.equal(c.digest);
  });

  it('digestFile with workers splitting at every level-1 block gives every digest', async () => {
    const saved = { ...parallelTuning };
    Object.assign(parallelTuning, { jobBytes: 1, minBytes: 0 });
    try {
      for (const c of vectors.cases) expect((await digestFile(path(c.size), { ...optsOf(c), workers: 3 })).text, label(c)).to.equal(c.digest);
    } finally {
      Object.assign(parallelTuning, saved);
    }
  });
});

describe('fs-verity composefs-image.md §1.8 examples', () => {
  const text = (s: string) => new TextEncoder().encode(s);
  it('hello world / foo bar baz / salted / sha512', () => {
    expect(digestBytes(text('hello world')).text).to.equal('sha256:1e2eaa4202d750a41174ee454970b92c1bc2f925b1e35076d8c7d5f56362ba64');
    expect(digestBytes(text('hello world'), { hashAlg: 'sha512' }).hex).to.equal(
      '18430270729d162d4e469daca123ae61893db4b0583d8f7081e3bf4f92b88ba514e7982f10733fb6aa895195c5ae8fd2eb2c47a8be05513ce5a0c51a6f570409',
    );
    expect(digestBytes(text('hello world\n')).hex).to.equal('37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92');
    expect(digestBytes(text('foo bar baz\n')).hex).to.equal('91e7d88cb7bc9cf6d8db3b0ecf89af4abf204bef5b3ade5113d5b62ef374e70b');
    expect(digestBytes(text('hello world\n'), { salt: new Uint8Array([1, 2]) }).hex).to.equal(
      'f678853a1a3f04261dce7bbb9370826f153edc28dde58dc1e36633f4f6ff65c7',
    );
  });
  it('the digest result carries algorithm, bytes, hex and text', () => {
    const d = digestBytes(new Uint8Array(0), { hashAlg: 'sha512' });
    expect(d.algorithm).to.equal('sha512');
    expect(d.bytes).to.have.length(64);
    expect(Buffer.from(d.bytes).toString('hex')).to.equal(d.hex);
    expect(d.text).to.equal(`sha512:${d.hex}`);
  });
});
