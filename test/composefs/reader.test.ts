import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CfsError } from '../../src/errors.js';
import { readImage, readImageHeader } from '../../src/composefs/erofs/reader.js';
import { Node, S_IFCHR, S_IFDIR, S_IFMT } from '../../src/tree/tree.js';
import { buildImage } from '../../src/composefs/index.js';
import { preorder } from '../../src/tree/walk.js';

const RANDOM = new URL('../vectors/composefs/random/', import.meta.url).pathname;

export function cImages(): { name: string; version: 0 | 1; image: Uint8Array }[] {
  return readdirSync(RANDOM)
    .filter((f) => f.endsWith('.cfs.gz'))
    .sort()
    .map((f) => ({
      name: f,
      version: Number(/\.v(\d)\.cfs\.gz$/.exec(f)![1]) as 0 | 1,
      image: new Uint8Array(gunzipSync(readFileSync(RANDOM + f))),
    }));
}

function countNodes(root: Node): number {
  let n = 0;
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    n++;
    stack.push(...(node.children ?? []));
  }
  return n;
}

function expectImageError(image: Uint8Array, field: string | RegExp): CfsError {
  let caught: unknown;
  try {
    readImage(image, { file: 'x.cfs' });
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(CfsError);
  const err = caught as CfsError;
  expect(err.code).to.equal('EIMAGE');
  expect(err.file).to.equal('x.cfs');
  expect(err.offset).to.be.a('number');
  if (typeof field === 'string') expect(err.field).to.equal(field);
  else expect(err.field).to.match(field);
  return err;
}

describe('composefs image reader', () => {
  const images = cImages();

  it('reads every C mkcomposefs image of the random vectors', () => {
    expect(images.length).to.equal(138);
    for (const { name, image } of images) {
      const root = readImage(image, { file: name });
      expect(root.children, name).to.be.an('array');
      // The 00..ff whiteout stubs are dropped, so no char device 0/0 stays in the tree.
      const stack = [root];
      while (stack.length) {
        const n = stack.pop()!;
        if (!n.linkTo) expect((n.mode & S_IFMT) === S_IFCHR && n.rdev === 0 && n.parent === root && /^[0-9a-f]{2}$/.test(Buffer.from(n.name).toString('latin1')), name).to.equal(false);
        stack.push(...(n.children ?? []));
      }
      // Every inode but the stubs and real whiteouts appears once; aliases add entries.
      const header = readImageHeader(image);
      expect(countNodes(root), name).to.be.greaterThan(0);
      expect(header.rootNid, name).to.equal(36);
    }
  });

  it('reports the header version the image was written with', () => {
    for (const { name, version, image } of images) {
      const header = readImageHeader(image);
      if (version === 1) expect(header.composefsVersion, name).to.equal(1);
      else expect(header.composefsVersion, name).to.be.oneOf([0, 1]);
    }
  });

  it('reads and walks a tree 20,000 directories deep (no recursion)', () => {
    const root = new Node(new Uint8Array(0), S_IFDIR | 0o755);
    let n = root;
    for (let i = 0; i < 20000; i++) {
      const child = new Node(Uint8Array.of(0x61), S_IFDIR | 0o755);
      n.addChild(child);
      n = child;
    }
    const loaded = readImage(buildImage(root).image);
    let depth = 0;
    let longest = 0;
    for (const { node, path } of preorder(loaded)) {
      if (node.children?.length === 0) depth = path.length / 2;
      longest = Math.max(longest, path.length);
    }
    expect(depth).to.equal(20000);
    expect(longest).to.equal(40000);
  });

  describe('rejects malformed images with EIMAGE', () => {
    const good = images[0].image;
    const patched = (offset: number, bytes: number[]): Uint8Array => {
      const copy = new Uint8Array(good);
      copy.set(bytes, offset);
      return copy;
    };

    it('too short', () => {
      expectImageError(good.subarray(0, 4095), 'size');
    });
    it('bad composefs magic', () => {
      expectImageError(patched(0, [0, 0, 0, 0]), 'header.magic');
    });
    it('unsupported header version', () => {
      const err = expectImageError(patched(4, [2, 0, 0, 0]), 'header.version');
      expect(err.message).to.match(/^x\.cfs:offset 4: header\.version: unsupported composefs image version 2$/);
    });
    it('bad EROFS magic', () => {
      expectImageError(patched(1024, [0, 0, 0, 0]), 'superblock.magic');
    });
    it('root nid outside the image', () => {
      expectImageError(patched(1024 + 0x0e, [0xff, 0xff]), 'nid');
    });
    it('root that is not a directory', () => {
      // Point the root at the first whiteout stub: a compact char device inode, mode 020644.
      let stub = 1184;
      while (good[stub + 4] !== 0xa4 || good[stub + 5] !== 0x21) stub += 32;
      expectImageError(patched(1024 + 0x0e, [(stub / 32) & 0xff, stub / 32 >> 8]), 'superblock.root_nid');
    });
    it('shared xattr block outside the image', () => {
      expectImageError(patched(1024 + 0x2c, [0xff, 0xff, 0xff, 0x7f]), 'superblock.xattr_blkaddr');
    });
    it('truncated image (blocks cut off)', () => {
      expectImageError(good.subarray(0, good.length - 4096), /.*/);
    });
  });
});
