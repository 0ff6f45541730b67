/**
 * CLI fuzz (issue 16): random argument vectors over every verb and option, run in-process —
 * values missing, empty, huge, paths that do not exist, are directories, regular files, empty
 * files, unreadable (mode 000; root reads them all the same), below a file. Every run exits 0,
 * 1 or 2 (never an internal error); a failing run prints one to three stderr lines without a
 * stack trace and leaves the sandbox as it was. Seeded;
 * CFSKIT_FUZZ_RUNS scales the run count (default 1000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OptionTable } from '../../src/cli/args.js';
import { runCli, verbSpecs } from '../helpers/cli.js';

const RUNS = Number(process.env.CFSKIT_FUZZ_RUNS ?? 1000);

/** Names in the sandbox (relative: the CLI runs with the sandbox as its working directory). */
const PATHS = ['missing', 'dir', 'file', 'empty', 'file/below', 'dir/missing/deeper', 'unreadable', 'unreadable-dir', '', 'x'.repeat(300), `${'d/'.repeat(2100)}x`, 'é ü', '.'];
const VALUES = [...PATHS, '0', '1', '-1', '4096', '99999999999999999999', 'a=b', 'K', 'sha512', 'dir:tag', '0:0', 'none', 'x'.repeat(70000)];

function setUp(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  mkdirSync(join(dir, 'dir'));
  writeFileSync(join(dir, 'file'), 'not an image, a tar or a dumpfile\n');
  writeFileSync(join(dir, 'empty'), '');
  // Unreadable for any user but root (who reads them anyway).
  writeFileSync(join(dir, 'unreadable'), 'secret\n', { mode: 0o000 });
  mkdirSync(join(dir, 'unreadable-dir'), { mode: 0o000 });
}

/** The sandbox's paths with size and type, to see that a failed run wrote nothing. */
function snapshot(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at)).sort().flatMap((name) => {
    const rel = join(at, name);
    const st = statSync(join(dir, rel));
    return st.isDirectory() && name !== 'unreadable-dir' ? [`${rel}/`, ...snapshot(dir, rel)] : [`${rel} ${st.size}`];
  });
}

async function verbs(): Promise<[string[], OptionTable][]> {
  return [...(await verbSpecs())].map(([name, spec]) => [name.split(' '), spec.options]);
}

/** One argument vector for a verb: its options (value given, empty, missing), unknown ones, positionals. */
function argv(verb: string[], table: OptionTable): fc.Arbitrary<string[]> {
  const names = Object.keys(table).length ? Object.keys(table) : ['help']; // --help is a success: rare
  const typeOf = (n: string) => table[n]?.type ?? 'boolean';
  const value = fc.constantFrom(...VALUES);
  const item = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...names), value, fc.nat(3)).map(([n, v, form]) => {
      if (typeOf(n) === 'boolean') return form === 0 ? [`--${n}=${v}`] : [`--${n}`];
      return form === 0 ? [`--${n}`] : form === 1 ? [`--${n}`, v] : [`--${n}=${v}`];
    }) },
    { weight: 3, arbitrary: fc.constantFrom(...PATHS).map((p) => [p]) },
    { weight: 1, arbitrary: fc.constantFrom('--bogus', '-z', '--', '--=', '-', '---x').map((a) => [a]) },
  );
  return fc.array(item, { maxLength: 6 }).map((items) => {
    const args = items.flat().filter((a) => a !== '-'); // '-' reads stdin
    // Never the default sysroot (/); the demo always gets an argument it refuses (it would otherwise run).
    const pre = verb[0] === 'admin' && verb[1] !== 'init-fs' ? ['--sysroot=dir'] : [];
    return [...verb, ...pre, ...args, ...(verb[0] === 'demo' ? ['extra'] : [])];
  });
}

describe('cfskit CLI fuzz: random argument vectors over every verb and option', function () {
  this.timeout(0);
  let dir: string;
  let cwd: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-cli-fuzz-'));
    cwd = process.cwd();
  });
  after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${RUNS} runs: exit 0, 1 or 2, no internal error, one to three stderr lines, nothing left by a failure`, async () => {
    const table = await verbs();
    const vector = fc.constantFrom(...table).chain(([verb, options]) => argv(verb, options));
    const statuses = new Map<number, number>();
    setUp(dir);
    process.chdir(dir);
    try {
      const result = await fc.check(
        fc.asyncProperty(vector, async (args) => {
          const before = snapshot(dir);
          const r = await runCli(args);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          const what = `cfskit ${args.map((a) => (a.length > 80 ? `${a.slice(0, 20)}...(${a.length})` : a)).join(' ')}\n${r.stderr.slice(0, 2000)}`;
          expect(r.internal, `${what}\n${r.internal instanceof Error ? r.internal.stack : String(r.internal)}`).to.equal(undefined);
          expect(r.status, what).to.be.oneOf([0, 1, 2]);
          if (r.status === 0) {
            setUp(dir); // a valid vector may create a repo or sysroot
            return;
          }
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines.length, what).to.be.within(1, 3);
          expect(r.stderr, what).to.match(/^cfskit[ :]/);
          expect(r.stderr, what).not.to.match(/\n\s+at /);
          expect(snapshot(dir), what).to.deep.equal(before);
        }),
        { numRuns: RUNS, seed: 0xc11f022, endOnFailure: true },
      );
      // Reported without fast-check's dump of the (possibly huge) counterexample.
      if (result.failed) throw new Error(`after ${result.numRuns} runs: ${String((result.errorInstance as Error)?.message ?? result.errorInstance).slice(0, 3000)}`);
    } finally {
      process.chdir(cwd);
    }
    process.stdout.write(`      statuses over ${RUNS} runs: ${[...statuses].sort().map(([s, n]) => `exit ${s}: ${n}`).join(', ')}\n`);
  });
});
