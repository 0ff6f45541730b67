/**
 * Property: random trees, as dumpfiles (through the Wasm parser and through the TypeScript parser's
 * tree) give the same image or the same CfsError, and every image read back and written again is
 * the same bytes, as a dumpfile and as the caller's tree, in every format-version and use-epoch
 * combination
 * (seeded; CFSKIT_FUZZ_RUNS runs, default 2,000). The trees mix every file type, hardlinks and
 * chains of them, whiteouts, overlay and ACL xattrs, shared values, names sorting before ".",
 * the root's 00..ff names, large directories, block symlinks, chunk-table edge sizes and extended
 * inode fields.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { Node } from '../../src/tree/tree.js';
import { expectConsistent, expectTreeConsistent } from './wasm-writer-compare.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);
const enc = new TextEncoder();

type Kind = 'dir' | 'empty' | 'inline' | 'external' | 'symlink' | 'chr' | 'blk' | 'whiteout' | 'fifo' | 'sock' | 'hardlink';
const MODE: Record<Kind, number> = {
  dir: 0o40755, empty: 0o100644, inline: 0o100600, external: 0o100644, symlink: 0o120777, chr: 0o20644,
  blk: 0o60600, whiteout: 0o20000, fifo: 0o10644, sock: 0o140755, hardlink: 0,
};

const bytes = (s: string) => enc.encode(s);
const name = fc.oneof(
  fc.constantFrom('a', 'b', '00', '0f', 'ff', '7e', '-x', '.x', '.-', '+', 'A', 'z'.repeat(255)).map(bytes),
  fc.stringMatching(/^[a-z0-9._-]{1,24}$/).map(bytes),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => b.map((c) => (c === 0 || c === 0x2f ? 0x61 : c))),
).filter((n) => !(n.length <= 2 && n.every((c) => c === 0x2e)));
const key = fc.oneof(
  fc.constantFrom('user.a', 'user.b', 'security.selinux', 'system.posix_acl_access', 'system.posix_acl_default',
    'trusted.overlay.opaque', 'trusted.overlay.whiteout', 'trusted.overlay.whiteouts', 'trusted.overlay.metacopy',
    'trusted.overlay.redirect', 'trusted.overlay.overlay.x', 'user.overlay.opaque', 'trusted.x', 'lustre.x', 'other'),
  fc.stringMatching(/^user\.[a-z]{1,8}$/),
).map(bytes);
const value = fc.oneof(
  fc.constantFrom('', 'x', 'y', '1', 'system_u:object_r:usr_t:s0', 'shared value').map(bytes),
  fc.uint8Array({ maxLength: 48 }),
  fc.integer({ min: 1000, max: 4000 }).map((n) => new Uint8Array(n).fill(0x76)),
);
const xattrs = fc.array(fc.tuple(key, value), { maxLength: 4 });
const externalSize = fc.oneof(
  fc.constantFrom(1n, 4095n, 4096n, 4097n, 1n << 32n, (1n << 32n) + 1n, 1n << 43n, (1n << 43n) + 1n, 1n << 44n,
    1n << 53n, (1n << 53n) + 1n, (1n << 64n) - 1n),
  fc.bigInt({ min: 1n, max: 1n << 45n }),
);
const content = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
  fc.integer({ min: 2000, max: 5000 }).map((n) => new Uint8Array(n).fill(0x63)),
);
const target = fc.oneof(
  fc.stringMatching(/^[a-z/.]{1,30}$/).map(bytes),
  fc.integer({ min: 3900, max: 4095 }).map((n) => new Uint8Array(n).fill(0x74)),
);
const digest = fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null });

const entry = fc.record({
  parent: fc.nat(),
  name,
  kind: fc.constantFrom<Kind>('dir', 'dir', 'empty', 'inline', 'external', 'external', 'symlink', 'chr', 'blk', 'whiteout', 'fifo', 'sock', 'hardlink', 'hardlink'),
  size: externalSize,
  content,
  payload: fc.option(target, { nil: null }),
  digest,
  rdev: fc.constantFrom(0, 1, 259),
  uid: fc.constantFrom(0, 1000, 65535, 65536),
  gid: fc.constantFrom(0, 70000),
  nlink: fc.constantFrom(1, 2, 65536),
  mtime: fc.tuple(fc.constantFrom(0n, 10n, -5n, 1700000000n), fc.constantFrom(0, 0, 5, 999999999)),
  xattrs,
  link: fc.nat(),
});

/** Many entries with long names in one directory: dirents in full blocks (composefs-image.md §2.7). */
const bulk = fc.option(fc.record({ dir: fc.nat(), count: fc.integer({ min: 100, max: 400 }), nameLength: fc.integer({ min: 1, max: 60 }) }), { freq: 4, nil: null });

const treeSpec = fc.record({ rootXattrs: xattrs, rootMtime: fc.constantFrom(0n, 10n, 1700000000n), entries: fc.array(entry, { maxLength: 40 }), bulk });

type Spec = typeof treeSpec extends fc.Arbitrary<infer T> ? T : never;

function buildTree(spec: Spec): Node {
  const root = new Node(new Uint8Array(0), 0o40755);
  root.mtimeSec = spec.rootMtime;
  for (const [k, v] of spec.rootXattrs) root.setXattr(k, v);
  const dirs = [root];
  const files: Node[] = [];
  for (const e of spec.entries) {
    const parent = dirs[e.parent % dirs.length];
    if (e.kind === 'hardlink') {
      if (files.length === 0) continue;
      const to = files[e.link % files.length];
      const alias = new Node(e.name, to.mode);
      alias.linkTo = to;
      if (parent.addChild(alias)) files.push(alias);
      continue;
    }
    const n = new Node(e.name, MODE[e.kind]);
    n.uid = e.uid;
    n.gid = e.gid;
    n.nlink = e.nlink;
    [n.mtimeSec, n.mtimeNsec] = e.mtime;
    for (const [k, v] of e.xattrs) n.setXattr(k, v);
    switch (e.kind) {
      case 'inline':
        n.content = e.content;
        n.size = BigInt(e.content.length);
        break;
      case 'external':
        n.size = e.size;
        n.payload = e.payload && e.payload.length < 4096 ? e.payload : null;
        n.digest = e.digest;
        break;
      case 'symlink':
        n.payload = e.payload ?? bytes('t');
        n.size = BigInt(n.payload.length);
        break;
      case 'chr':
      case 'blk':
        n.rdev = e.rdev || 1;
        break;
    }
    if (!parent.addChild(n)) continue;
    if (e.kind === 'dir') dirs.push(n);
    else files.push(n);
  }
  if (spec.bulk) {
    const dir = dirs[spec.bulk.dir % dirs.length];
    for (let i = 0; i < spec.bulk.count; i++) {
      dir.addChild(new Node(bytes(`${i.toString(36)}${'n'.repeat(spec.bulk.nameLength)}`), 0o100644));
    }
  }
  return root;
}

const OPTIONS = [
  { minVersion: 0, maxVersion: 1, useEpoch: false },
  { minVersion: 1, maxVersion: 1, useEpoch: false },
  { minVersion: 0, maxVersion: 0, useEpoch: true },
  { minVersion: 0, maxVersion: 1, useEpoch: true },
];

describe('fuzz: Wasm image builder on random trees: both parsers agree, images round-trip', function () {
  this.timeout(0);
  it(`${RUNS} random trees: same image or same CfsError from both parsers, image → tree → image identical, every version and use-epoch combination`, () => {
    const seen = { images: 0, errors: 0 };
    fc.assert(
      fc.property(treeSpec, fc.nat(OPTIONS.length - 1), (spec, o) => {
        const tree = buildTree(spec);
        // As a dumpfile (children sorted; within the dumpfile limits of composefs-image.md §2.11, so the parser accepts it)...
        const r = expectConsistent(printDump(tree), OPTIONS[o]);
        if ('image' in r) seen.images++;
        else seen.errors++;
        // ...and as the caller's tree (children in insertion order).
        expectTreeConsistent(tree, OPTIONS[o]);
      }),
      { numRuns: RUNS, seed: 0x0e20f5 },
    );
    console.log(`      ${seen.images} images, ${seen.errors} writer errors`);
    expect(seen.images).to.be.greaterThan(RUNS * 0.8);
    expect(seen.errors).to.be.greaterThan(0);
  });
});
