/**
 * Differential fuzz of issue #15 item 6: the same random tree, often past a limit (names up to
 * 300 bytes, xattr keys up to 300 bytes, values up to 70,000 bytes, budgets, symlink targets up to
 * 4100 bytes, inline content up to 5100 bytes), through the tree path (tree → records → Wasm
 * writer) and through the dumpfile path (tree → dumpfile text → parser → writer) gives the same
 * image bytes or a refusal with the same reason (seeded; CFSKIT_FUZZ_RUNS runs, default 300).
 * The generator keeps to trees a dumpfile can express (no NUL or '/' in names, no NUL in keys,
 * no "." or ".." names, mtimes ≥ 0) and to xattr text under the parser's 65535-byte line limit
 * unless a single value is over 65535 (both refuse it then).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { parseDump } from '../../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../../src/composefs/dumpfile/print.js';
import { Node } from '../../../src/tree/tree.js';
import { CfsError } from '../../../src/errors.js';
import { buildWasmImage, writeWasmImage } from '../../../src/wasm/composefs.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 300);
const seed = 20261203;
const BUILD = { minVersion: 0, maxVersion: 1, useEpoch: false };
const enc = new TextEncoder();

const name = fc
  .oneof(fc.stringMatching(/^[a-z0-9._-]{1,12}$/).map((s) => enc.encode(s)), fc.integer({ min: 250, max: 300 }).map((n) => new Uint8Array(n).fill(0x6e)))
  .filter((n) => !(n.length <= 2 && n.every((c) => c === 0x2e)));
const key = fc.oneof(
  fc.stringMatching(/^user\.[a-z]{1,6}$/).map((s) => enc.encode(s)),
  fc.integer({ min: 250, max: 300 }).map((n) => enc.encode(`user.${'k'.repeat(n - 5)}`)),
);
const value = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.integer({ min: 5000, max: 20_000 }).map((n) => new Uint8Array(n).fill(0x76)),
  fc.constant(new Uint8Array(70_000).fill(0x77)),
);
const xattrs = fc.array(fc.tuple(key, value), { maxLength: 3 });
const entry = fc.record({
  parent: fc.nat(),
  name,
  kind: fc.constantFrom('dir', 'file', 'inline', 'symlink'),
  length: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 4090, max: 5100 })),
  xattrs,
});

function build(spec: { rootXattrs: [Uint8Array, Uint8Array][]; entries: (typeof entry extends fc.Arbitrary<infer T> ? T : never)[] }): Node {
  const root = new Node(new Uint8Array(0), 0o40755);
  for (const [k, v] of spec.rootXattrs) root.setXattr(k, v);
  const dirs = [root];
  for (const e of spec.entries) {
    const parent = dirs[e.parent % dirs.length];
    if (parent.lookup(e.name)) continue;
    const mode = { dir: 0o40755, file: 0o100644, inline: 0o100600, symlink: 0o120777 }[e.kind];
    const n = new Node(e.name, mode);
    n.mtimeSec = 1700000000n;
    if (e.kind === 'inline') {
      n.content = new Uint8Array(e.length).fill(0x63);
      n.size = BigInt(e.length);
    } else if (e.kind === 'symlink') {
      n.payload = new Uint8Array(e.length).fill(0x74);
      n.size = BigInt(e.length);
    } else if (e.kind === 'file') {
      n.size = BigInt(e.length);
      n.payload = enc.encode(`ab/${'c'.repeat(62)}`);
    }
    for (const [k, v] of e.xattrs) n.setXattr(k, v);
    parent.addChild(n);
    if (e.kind === 'dir') dirs.push(n);
  }
  return root;
}

type Outcome = { image: string } | { refused: string };

function outcome(fn: () => Uint8Array): Outcome {
  try {
    return { image: Buffer.from(fn()).toString('base64') };
  } catch (err) {
    if (!(err instanceof CfsError)) throw err;
    return { refused: err.reason };
  }
}

/** The parser's reasons for xattr text over its line limit: the tree path refuses the same nodes as a budget overrun. */
const SAME_REFUSAL: Record<string, string> = { 'Too many xattrs': "Can't set xattr" };

describe('sources: tree path and dumpfile path agree on every limit (issue #15 item 6)', function () {
  this.timeout(0);

  it('random trees give the same image or the same refusal both ways', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.record({ rootXattrs: xattrs, entries: fc.array(entry, { maxLength: 10 }) }), (spec) => {
        const viaTree = outcome(() => writeWasmImage(build(spec), BUILD).image);
        const viaDump = outcome(() => {
          const dump = printDump(build(spec));
          parseDump(dump, { strict: true });
          return buildWasmImage(dump, { ...BUILD, strict: true }).image;
        });
        if ('refused' in viaDump) {
          refused++;
          expect(viaTree).to.deep.equal({ refused: SAME_REFUSAL[viaDump.refused] ?? viaDump.refused });
        } else {
          expect(viaTree).to.deep.equal(viaDump);
        }
      }),
      {
        numRuns: runs,
        seed,
        // the counterexample holds 70,000-byte arrays: report its place in the run, not its bytes
        reporter: (out) => {
          if (out.failed) throw new Error(`seed ${out.seed}, path ${out.counterexamplePath}: ${(out.errorInstance as Error)?.message}`);
        },
      },
    );
    // the generator reaches the limits in a good share of the runs
    expect(refused).to.be.greaterThan(runs / 10);
  });
});
