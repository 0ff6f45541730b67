/**
 * The Wasm EROFS writer (assembly/composefs/writer) through buildWasmImage: the C tool's image on
 * every reference vector, the same result from the Wasm parser and from the TypeScript parser's
 * tree, images that read back and write again to the same bytes, the CfsError (message, field,
 * code) of C's refusals, and images fsck.erofs accepts.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../src/errors.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { Node } from '../../src/tree/tree.js';
import { writeWasmImage } from '../../src/wasm/composefs.js';
import { expectConsistent, expectTreeConsistent, image, wasmResult } from './wasm-writer-compare.js';
import { MINI_DUMP, MINI_SHA256_V1, RANDOM_VARIANTS, randomVectors, upstreamAssets } from './vectors.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();
const BUILD = { minVersion: 0, maxVersion: 1, useEpoch: false };

describe('Wasm EROFS writer: upstream assets (composefs-image.md §6.2)', () => {
  for (const a of upstreamAssets()) {
    it(`${a.name}${a.version === undefined ? '' : ` (version ${a.version})`}${a.strict ? '' : ' non-strict'}`, () => {
      const versions = a.version === undefined ? {} : { minVersion: a.version, maxVersion: a.version };
      const r = expectConsistent(a.dump, { strict: a.strict, ...versions });
      expect(sha256(image(r))).to.equal(a.sha256);
    });
  }
});

describe('Wasm EROFS writer: random vectors, both versions', () => {
  for (const v of randomVectors()) {
    it(v.name, () => {
      v.expect.forEach((want, i) => {
        const r = expectConsistent(v.dump, RANDOM_VARIANTS[i]);
        if ('sha256' in want) expect(sha256(image(r)), `v${i}`).to.equal(want.sha256);
        else expect('error' in r && r.error.reason, `v${i}`).to.equal(want.fail);
      });
    });
  }
});

describe('Wasm EROFS writer: worked examples and options (composefs-image.md §2.13, §6.3)', () => {
  it('empty root: 16384 bytes, 257 inodes', () => {
    const img = image(expectConsistent(enc.encode('/ 4096 40755 2 0 0 0 0.0 - - -\n')));
    expect(img.length).to.equal(16384);
    expect(sha256(img)).to.equal('c3dc5b0fc4afb0693a95e017fe5815e1f88f204d485df617541b5ea659aefb8b');
  });

  it('"mini" feature mix in every version combination', () => {
    const dump = enc.encode(MINI_DUMP);
    expect(sha256(image(expectConsistent(dump)))).to.equal(MINI_SHA256_V1);
    expect(sha256(image(expectConsistent(dump, { minVersion: 1, maxVersion: 1 })))).to.equal(MINI_SHA256_V1);
    expect(sha256(image(expectConsistent(dump, { minVersion: 0, maxVersion: 0 })))).to.equal(
      '826662e22c47880db2bb3795b98e2d230bc0447759f918407a35b51fedda435a');
    // A whiteout raises the default (min 0, max 1) to version 1 (composefs-image.md §2.10).
    expect((expectConsistent(dump) as { version: number }).version).to.equal(1);
  });

  it('useEpoch gives the image of the same tree with every mtime 0.0', () => {
    const text = '/ 4096 40755 2 0 0 0 1700000000.5 - - -\n/f 1 100644 1 0 0 0 5.5 - x -\n';
    const epoch = image(expectConsistent(enc.encode(text), { useEpoch: true }));
    const zero = image(expectConsistent(enc.encode(text.replace('1700000000.5', '0.0').replace('5.5', '0.0'))));
    expect(sha256(epoch)).to.equal(sha256(zero));
    expect(sha256(epoch)).to.not.equal(sha256(image(wasmResult(enc.encode(text)))));
  });

  it('hardlinks, chunk tables moved to a block, block symlinks, large directories, overlay escaping', () => {
    const lines = ['/ 4096 40755 2 0 0 0 10.0 - - - trusted.overlay.redirect=/x user.a=1'];
    for (let i = 0; i < 300; i++) lines.push(`/${'n'.repeat(40)}${String(i).padStart(3, '0')} 0 100644 1 0 0 0 10.0 - - - user.a=1`);
    lines.push(`/big 4398046511104 100644 1 0 0 0 10.0 ab/cd - ${'ab'.repeat(32)} trusted.overlay.metacopy=x`);
    lines.push('/hl 0 @100644 1 0 0 0 10.0 /big - -');
    lines.push(`/link ${4000} 120777 1 0 0 0 11.0 ${'t'.repeat(4000)} - -`);
    lines.push('/wh 0 20000 1 0 0 0 10.0 - - - trusted.overlay.whiteouts=z');
    const dump = enc.encode(`${lines.sort().join('\n')}\n`);
    for (const v of RANDOM_VARIANTS) image(expectConsistent(dump, v));
  });
});

describe('Wasm EROFS writer: refusals (composefs-image.md §2.11), the errors of C as CfsError', () => {
  const root = '/ 4096 40755 2 0 0 0 0.0 - - -';

  it('format versions above 1: Invalid argument', () => {
    const dump = enc.encode(`${root}\n`);
    for (const v of [{ minVersion: 2, maxVersion: 2 }, { maxVersion: 2 }, { minVersion: -1 }]) {
      const r = expectConsistent(dump, v);
      expect('error' in r && r.error.reason).to.equal('cannot write file: Invalid argument');
    }
  });

  it('an external file needing more than 1024 chunks: File too large', () => {
    const r = expectConsistent(enc.encode(`${root}\n/d 4096 40755 2 0 0 0 0.0 - - -\n/d/f 9007199254740993 100644 1 0 0 0 0.0 - - -\n`));
    expect('error' in r && r.error).to.deep.include({
      reason: 'cannot write file: File too large', field: '/d/f: size 9007199254740993 needs more than 1024 chunks', code: 'EFBIG' });
    image(expectConsistent(enc.encode(`${root}\n/f 9007199254740992 100644 1 0 0 0 0.0 - - -\n`)));
  });

  it('a user xattr the writer replaces: the working budget wraps (ERANGE); the path in UTF-8, invalid bytes replaced', () => {
    const dir = '/d\\xff\\xe2\\x82';
    const r = expectConsistent(enc.encode(`${root}\n${dir} 4096 40755 2 0 0 0 0.0 - - - trusted.overlay.whiteouts=1 user.a=1\n${dir}/wh 0 20000 1 0 0 0 0.0 - - -\n`));
    expect('error' in r && r.error).to.deep.include({
      reason: 'cannot write file: Numerical result out of range',
      field: '/d\ufffd\ufffd: setting xattr trusted.overlay.overlay.whiteouts',
      code: 'ERANGE',
    });
  });
});

describe('Wasm EROFS writer: caller\'s trees (writeWasmImage) and their refusals', () => {
  function tree(): { root: Node; a: Node; b: Node } {
    const root = new Node(new Uint8Array(0), 0o40755);
    const a = new Node(enc.encode('a'), 0o100644);
    const b = new Node(enc.encode('b'), 0o100644);
    root.addChild(b);
    root.addChild(a);
    return { root, a, b };
  }
  const failure = (root: Node, opts = {}) => {
    const r = expectTreeConsistent(root, opts);
    if (!('error' in r)) throw new Error('expected a refusal');
    return r.error;
  };

  it('a root that is not a directory: Not a directory', () => {
    expect(failure(new Node(new Uint8Array(0), 0o100644))).to.deep.include({ reason: 'cannot write file: Not a directory', code: 'ENOTDIR' });
  });

  it('a hardlink cycle: Too many levels of symbolic links', () => {
    const { root, a, b } = tree();
    a.linkTo = b;
    b.linkTo = a;
    expect(failure(root)).to.deep.include({ field: '/ entry a: hardlink cycle', code: 'ELOOP' });
  });

  it('a hardlink chain resolves to its end', () => {
    const { root, a, b } = tree();
    const c = new Node(enc.encode('c'), 0o100644);
    root.addChild(c);
    a.linkTo = b;
    b.linkTo = c;
    image(expectTreeConsistent(root));
  });

  it('a hardlink to a node outside the tree: Invalid argument', () => {
    const { root, a } = tree();
    a.linkTo = new Node(enc.encode('elsewhere'), 0o100644);
    let error: unknown;
    try {
      writeWasmImage(root, BUILD);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CfsError).and.to.include({ reason: 'cannot write file: Invalid argument', code: 'EINVAL' });
  });

  it('a digest that is not 32 bytes: Invalid argument, naming the entry', () => {
    const { root, a } = tree();
    a.size = 10n;
    a.digest = new Uint8Array(31);
    expect(failure(root)).to.deep.include({ field: '/ entry a: fs-verity digest of 31 bytes', code: 'EINVAL' });
  });

  it('an invalid file type, a non-directory with children: Invalid argument', () => {
    const { root, a, b } = tree();
    a.mode = 0o644;
    expect(failure(root)).to.deep.include({ field: '/a: invalid mode 644', code: 'EINVAL' });
    a.mode = 0o100644;
    b.children = [new Node(enc.encode('x'), 0o100644)];
    b.children[0].parent = b;
    expect(failure(root)).to.deep.include({ field: '/b: a non-directory has children', code: 'EINVAL' });
  });

  it('format versions above 1, more than 1024 chunks', () => {
    expect(failure(tree().root, { minVersion: 2, maxVersion: 2 }).code).to.equal('EINVAL');
    const { root, a } = tree();
    a.size = (1n << 53n) + 1n;
    expect(failure(root).code).to.equal('EFBIG');
  });

  it('a directory mode set on a node made without children', () => {
    const { root, a } = tree();
    a.mode = 0o40700;
    image(expectTreeConsistent(root));
  });

  it("leaves the caller's tree unchanged, and writes it the same way twice", () => {
    const special = upstreamAssets().find((x) => x.name === 'special.dump')!;
    const root = parseDump(special.dump, { strict: true });
    const before = printDump(root);
    const first = writeWasmImage(root, BUILD).image;
    expect(printDump(root)).to.deep.equal(before);
    expect(sha256(writeWasmImage(root, BUILD).image)).to.equal(sha256(first));
  });

  it('useEpoch gives the image of the same tree with every mtime 0.0', () => {
    const text = '/ 4096 40755 2 0 0 0 1700000000.5 - - -\n/f 1 100644 1 0 0 0 5.5 - x -\n';
    const epoch = writeWasmImage(parseDump(enc.encode(text)), { ...BUILD, useEpoch: true }).image;
    const zero = writeWasmImage(parseDump(enc.encode(text.replace('1700000000.5', '0.0').replace('5.5', '0.0'))), BUILD).image;
    expect(sha256(epoch)).to.equal(sha256(zero));
  });

  it('children in any insertion order, with "." and ".." given as children, give one image', () => {
    const names = ['zz', '.', '..', '-', '00', 'ff', 'A'];
    const withChildren = (order: string[]) => {
      const { root } = tree();
      for (const name of order) root.addChild(new Node(enc.encode(name), 0o40755));
      return root;
    };
    for (const v of RANDOM_VARIANTS) {
      // (No read-back check: the reader takes "." and ".." entries for the directory's own.)
      const o = { ...BUILD, ...v };
      const inserted = writeWasmImage(withChildren(names), o).image;
      const sorted = writeWasmImage(withChildren([...names].sort()), o).image;
      expect(Buffer.compare(inserted, sorted)).to.equal(0);
    }
  });
});

describe('Wasm EROFS writer: peers', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-wasm-erofs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fsck.erofs accepts Wasm images of upstream assets and random vectors', function () {
    needCommand(this, 'fsck.erofs');
    const picks = upstreamAssets().filter((a) => ['special.dump', 'special_v1.dump', 'cs9-x86_64-minimal.dump.gz', 'bigfile.dump'].includes(a.name));
    const random = randomVectors().filter((r) => r.expect.every((e) => 'sha256' in e)).slice(0, 6);
    const images: [string, Uint8Array][] = [
      ...picks.map((a): [string, Uint8Array] => [a.name, image(wasmResult(a.dump, { strict: a.strict }))]),
      ...random.map((r, i): [string, Uint8Array] => [r.name, image(wasmResult(r.dump, RANDOM_VARIANTS[i % 2]))]),
    ];
    expect(images.length).to.be.at.least(8);
    for (const [name, img] of images) {
      const file = join(dir, `${name}.cfs`);
      writeFileSync(file, img);
      const r = runPeer('fsck.erofs', [file]);
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).to.equal(0);
    }
  });
});
