/**
 * The writer's own refusals (spec §2.9, §2.11: "cannot write file: <strerror>") for trees built
 * through the API, and its promises: the caller's tree is left as it was, --use-epoch is mtime 0.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { Node } from '../../src/composefs/tree.js';
import { CfsError } from '../../src/errors.js';
import { upstreamAssets } from './vectors.js';

const enc = new TextEncoder();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function tree(): { root: Node; a: Node; b: Node } {
  const root = new Node(new Uint8Array(0), 0o40755);
  const a = new Node(enc.encode('a'), 0o100644);
  const b = new Node(enc.encode('b'), 0o100644);
  root.addChild(a);
  root.addChild(b);
  return { root, a, b };
}

function writeFailure(root: Node, opts = {}): CfsError {
  try {
    writeImage(root, opts);
  } catch (e) {
    if (e instanceof CfsError) return e;
    throw e;
  }
  throw new Error('expected a CfsError');
}

describe('EROFS writer: refusals and guarantees', () => {
  it('a root that is not a directory: Not a directory', () => {
    expect(writeFailure(new Node(new Uint8Array(0), 0o100644)).reason).to.equal('cannot write file: Not a directory');
  });

  it('a hardlink cycle: Too many levels of symbolic links', () => {
    const { root, a, b } = tree();
    a.linkTo = b;
    b.linkTo = a;
    const e = writeFailure(root);
    expect(e.reason).to.equal('cannot write file: Too many levels of symbolic links');
    expect(e.code).to.equal('ELOOP');
  });

  it('a hardlink to a node outside the tree: Invalid argument', () => {
    const { root, a } = tree();
    a.linkTo = new Node(enc.encode('elsewhere'), 0o100644);
    expect(writeFailure(root).reason).to.equal('cannot write file: Invalid argument');
  });

  it('an invalid file type: Invalid argument', () => {
    const { root, a } = tree();
    a.mode = 0o644;
    expect(writeFailure(root).reason).to.equal('cannot write file: Invalid argument');
  });

  it('format versions above 1: Invalid argument', () => {
    expect(writeFailure(tree().root, { minVersion: 2, maxVersion: 2 }).reason).to.equal('cannot write file: Invalid argument');
    expect(writeFailure(tree().root, { maxVersion: 2 }).reason).to.equal('cannot write file: Invalid argument');
  });

  it('an external file needing more than 1024 chunks: File too large', () => {
    const { root, a } = tree();
    a.size = (1n << 53n) + 1n;
    expect(writeFailure(root).reason).to.equal('cannot write file: File too large');
    a.size = 1n << 53n;
    expect(writeImage(root).image.length % 4096).to.equal(0);
  });

  it("leaves the caller's tree unchanged (it writes from a working copy, P1)", () => {
    const special = upstreamAssets().find((x) => x.name === 'special.dump')!;
    const root = parseDump(special.dump, { strict: true });
    const before = printDump(root);
    const first = writeImage(root).image;
    expect(printDump(root)).to.deep.equal(before);
    expect(sha256(writeImage(root).image)).to.equal(sha256(first));
  });

  it('useEpoch gives the image of the same tree with every mtime 0.0', () => {
    const text = '/ 4096 40755 2 0 0 0 1700000000.5 - - -\n/f 1 100644 1 0 0 0 5.5 - x -\n';
    const epoch = writeImage(parseDump(enc.encode(text)), { useEpoch: true }).image;
    const zero = writeImage(parseDump(enc.encode(text.replace('1700000000.5', '0.0').replace('5.5', '0.0')))).image;
    expect(sha256(epoch)).to.equal(sha256(zero));
  });
});
