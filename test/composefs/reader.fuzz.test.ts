/**
 * Fuzz: mutated composefs images through the reader, the printers and `cfskit info`. Every
 * outcome is a tree (that prints) or a CfsError with code EIMAGE; no other exception, no hang
 * (seeded; CFSKIT_FUZZ_RUNS runs, default 10,000). Plus hand-made hostile images: directory
 * cycles, overlapping directory blocks, huge sizes and counts.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildImage } from '../../src/composefs/index.js';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { collectObjects, lsChunks } from '../../src/composefs/listing.js';
import { Node } from '../../src/tree/tree.js';
import { run as runInfo } from '../../src/cli/info.js';
import { Unsorted, dumpImage, imageObjects, lsImage } from '../../src/composefs/image-views.js';
import { CfsError } from '../../src/errors.js';
import { VECTOR_DIR, upstreamAssets } from './vectors.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 10000);
const SEED = Number(process.env.CFSKIT_FUZZ_SEED ?? 0x5eedc0f5);

/** Small C images of the random vectors, and our images of the upstream assets with odd layouts. */
function seeds(): Uint8Array[] {
  const dir = join(VECTOR_DIR, 'random');
  const images: Uint8Array[] = readdirSync(dir)
    .filter((f) => f.endsWith('.cfs.gz'))
    .sort()
    .map((f) => new Uint8Array(gunzipSync(readFileSync(join(dir, f)))))
    .filter((image) => image.length <= 64 * 1024);
  for (const a of upstreamAssets()) {
    if (['special.dump', 'longlink.dump', 'bigfile-xattr.dump', 'honggfuzz-long-symlink.dump'].includes(a.name)) {
      images.push(buildImage(a.dump, { strict: a.strict }).image);
    }
  }
  return images;
}

type Mutation =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'word'; at: number; size: 2 | 4 | 8; value: number }
  | { kind: 'fill'; at: number; length: number; value: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'copy'; from: number; at: number; length: number };

const position = fc.noBias(fc.nat());
/** Values that sit on the reader's edges: 0, small counts, block and slot sizes, maxima. */
const interesting = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 12, 31, 32, 36, 255, 256, 4095, 4096, 4097, 5000, 5001, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);
/** Offsets inside the superblock, the first inodes (slot + field) and anywhere. */
const target = fc.oneof(
  fc.integer({ min: 1024, max: 1151 }),
  fc.tuple(fc.nat({ max: 300 }), fc.constantFrom(0, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44)).map(([slot, field]) => 1152 + slot * 32 + field),
  position,
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: position, value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: target, size: fc.constantFrom(2 as const, 4 as const, 8 as const), value: interesting }),
  fc.record({ kind: fc.constant('fill' as const), at: position, length: fc.integer({ min: 1, max: 512 }), value: fc.constantFrom(0, 0xff, 0x2e) }),
  fc.record({ kind: fc.constant('truncate' as const), length: position }),
  fc.record({ kind: fc.constant('copy' as const), from: position, at: position, length: fc.integer({ min: 1, max: 4096 }) }),
);

function mutate(image: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = new Uint8Array(image);
  for (const m of mutations) {
    const n = out.length;
    if (n === 0) break;
    switch (m.kind) {
      case 'byte':
        out[m.at % n] = m.value;
        break;
      case 'word': {
        const at = m.at % n;
        for (let i = 0; i < m.size && at + i < n; i++) out[at + i] = i < 4 ? (m.value >>> (8 * i)) & 0xff : 0;
        break;
      }
      case 'fill':
        out.fill(m.value, m.at % n, (m.at % n) + m.length);
        break;
      case 'truncate':
        out = out.slice(0, m.length % (n + 1));
        break;
      case 'copy': {
        const from = m.from % n;
        out.copyWithin(m.at % n, from, from + m.length);
        break;
      }
    }
  }
  return out;
}

/** Loads and prints; returns the tree, or the CfsError the image was refused with. */
function readAndPrint(image: Uint8Array, paths?: Uint8Array[]): Node | CfsError {
  let root: Node;
  try {
    root = readImage(image, { file: 'fuzz.cfs', paths });
  } catch (e) {
    if (e instanceof CfsError && e.code === 'EIMAGE') return e;
    throw e;
  }
  printDump(root);
  for (const chunk of lsChunks(root)) expect(chunk.length).to.be.greaterThan(0);
  collectObjects(root, new Map());
  return root;
}

/**
 * The views printed from the image's bytes equal those printed from its tree, and an image is
 * refused by both with the same message; or the scan hands it to the tree (Unsorted).
 */
function sameViews(image: Uint8Array, tree: Node | CfsError): 'same' | 'unsorted' {
  const opts = { file: 'fuzz.cfs' };
  let dump: Uint8Array;
  try {
    dump = Buffer.concat(dumpImage(image, opts));
  } catch (e) {
    if (e instanceof Unsorted) return 'unsorted';
    if (!(e instanceof CfsError) || !(tree instanceof CfsError)) throw e;
    expect(e.message).to.equal(tree.message);
    return 'same';
  }
  if (tree instanceof CfsError) throw new Error(`the scan printed an image the reader refuses: ${tree.message}`);
  expect(Buffer.from(dump).equals(printDump(tree))).to.equal(true);
  expect(Buffer.concat(lsImage(image, opts)).equals(Buffer.concat([...lsChunks(tree)]))).to.equal(true);
  const objects = new Set<string>();
  imageObjects(image, objects, opts);
  const want = new Map<string, Uint8Array>();
  collectObjects(tree, want);
  expect([...objects].sort()).to.deep.equal([...want.keys()].sort());
  return 'same';
}

describe('composefs reader fuzz', function () {
  this.timeout(600000);
  const images = seeds();
  // for the `paths` option: every third path (any depth) of each unmutated image
  const selections = images.map((image) => {
    const out: Uint8Array[] = [];
    const stack = [...(readImage(image).children ?? [])];
    for (let k = 0; stack.length > 0; k++) {
      const n = stack.pop()!;
      if (k % 3 === 0) out.push(n.path().subarray(1));
      if (n.children) stack.push(...n.children);
    }
    return out;
  });

  it(`${RUNS} mutated images: a printable tree or a CfsError, nothing else`, () => {
    expect(images.length).to.be.greaterThan(20);
    let refused = 0;
    let unsorted = 0;
    fc.assert(
      fc.property(fc.nat({ max: images.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        const mutated = mutate(images[i], ms);
        const tree = readAndPrint(mutated);
        if (tree instanceof CfsError) refused++;
        if (sameViews(mutated, tree) === 'unsorted') unsorted++;
        readAndPrint(mutated, selections[i]); // the `paths` option: the same guarantee
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Both outcomes occur: the mutations reach past the header checks.
    expect(refused).to.be.greaterThan(RUNS / 20);
    expect(refused).to.be.lessThan(RUNS);
    // Most images the scan prints itself.
    expect(unsorted).to.be.lessThan(RUNS / 4);
  });

  it('cfskit info on mutated images: exit status 0 or a CfsError (exit 1), never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfskit-infofuzz-'));
    const write = process.stdout.write;
    // The commands' stdout goes nowhere while they run.
    process.stdout.write = ((_chunk: unknown, cb?: unknown) => {
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    }) as typeof process.stdout.write;
    try {
      const samples = fc.sample(fc.tuple(fc.nat({ max: images.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })), {
        numRuns: Math.max(50, Math.floor(RUNS / 50)),
        seed: SEED + 1,
      });
      const file = join(dir, 'fuzz.cfs');
      for (const [k, [i, ms]] of samples.entries()) {
        writeFileSync(file, mutate(images[i], ms));
        for (const command of ['dump', 'ls', 'objects', 'missing-objects']) {
          const args = command === 'missing-objects' ? [command, `--basedir=${dir}`, file] : [command, file];
          try {
            expect(await runInfo(args), `sample ${k} ${command}`).to.equal(0);
          } catch (e) {
            if (!(e instanceof CfsError)) throw e;
          }
        }
      }
    } finally {
      process.stdout.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Little-endian helpers for the hand-made images. */
const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (u16(b, at) | (u16(b, at + 2) << 16)) >>> 0;
const put32 = (b: Uint8Array, at: number, v: number): void => {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
};

/** The (name, nid) entries of the directory block at `at` (composefs-image.md §2.7). */
function direntsAt(image: Uint8Array, at: number, size: number): { name: string; nid: number; offset: number }[] {
  const n = u16(image, at + 8) / 12;
  return Array.from({ length: n }, (_, i) => {
    const off = at + i * 12;
    const start = u16(image, off + 8);
    const end = i + 1 < n ? u16(image, off + 12 + 8) : size;
    const name = Buffer.from(image.subarray(at + start, at + end)).toString('latin1').replace(/\0.*$/s, '');
    return { name, nid: u32(image, off), offset: off };
  });
}

describe('composefs reader on hostile images', () => {
  // A root with 120 empty directories: the root's entries (with the 256 stubs) fill full blocks.
  const dump = ['/ 4096 40755 122 0 0 0 0.0 - - -', ...Array.from({ length: 120 }, (_, i) => `/d${i} 4096 40755 2 0 0 0 0.0 - - -`), ''].join('\n');
  const base = buildImage(new Uint8Array(Buffer.from(dump)), { strict: true }).image;
  const rootAt = 1152;
  const rootBlock = u32(base, rootAt + 0x10) * 4096;
  const rootEntries = direntsAt(base, rootBlock, 4096);
  const dirs = rootEntries.filter((e) => /^d\d+$/.test(e.name));

  it('a directory entry pointing back at the root reads as a hardlink alias (no loop)', () => {
    const image = new Uint8Array(base);
    // Re-point the empty /d0 at the root's first block: /d0 then lists /d0 itself and its siblings.
    const d0 = dirs[0].nid * 32;
    image[d0] = 0; // i_format: compact, flat plain
    put32(image, d0 + 0x08, 4096);
    put32(image, d0 + 0x10, rootBlock / 4096);
    const root = readImage(image);
    const d0Node = root.lookup(new Uint8Array(Buffer.from('d0')))!;
    // The loader meets /d0/d0 after /d0 was built: an alias, so the walk does not descend again.
    expect(d0Node.children!.length).to.be.greaterThan(1);
    expect(d0Node.lookup(new Uint8Array(Buffer.from('d0')))!.linkTo).to.equal(d0Node);
  });

  it('directories sharing one data block are refused by the byte budget, quickly', () => {
    const image = new Uint8Array(base);
    for (const d of dirs) {
      const at = d.nid * 32;
      image[at] = 0;
      put32(image, at + 0x08, 4096);
      put32(image, at + 0x10, rootBlock / 4096);
    }
    expect(() => readImage(image)).to.throw(CfsError, /overlapping inodes or blocks/);
  });

  it('a huge directory size, xattr count or nid is refused', () => {
    const huge = new Uint8Array(base);
    huge[rootAt] = 1; // extended inode: 64-bit size
    put32(huge, rootAt + 0x08, 0);
    put32(huge, rootAt + 0x0c, 0x100);
    expect(() => readImage(huge)).to.throw(CfsError);

    const xattrs = new Uint8Array(base);
    xattrs[rootAt + 2] = 0xff;
    xattrs[rootAt + 3] = 0xff;
    expect(() => readImage(xattrs)).to.throw(CfsError, /outside the image/);

    const nid = new Uint8Array(base);
    put32(nid, dirs[0].offset + 4, 1); // nid 2^32 + ...
    expect(() => readImage(nid)).to.throw(CfsError, /nid lies outside the image/);
  });
});
