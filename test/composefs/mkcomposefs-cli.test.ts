/**
 * `cfskit mkcomposefs` as a whole process (composefs-image.md §4.1): images equal to C's, stdin/stdout, the
 * digest options (checked against the real `fsverity digest`), argument errors, and every
 * should-fail asset and refused random vector: non-zero exit, C's message, and no file left.
 */
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needCommand, runPeer } from '../helpers/peers.js';
import { randomVectors, shouldFailAssets, upstreamAssets } from './vectors.js';
import { cliArgv } from '../helpers/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function cfskit(args: string[], opts: { input?: Uint8Array; strict?: boolean } = {}) {
  const env = { ...process.env };
  if (opts.strict) env.CFS_PARSE_STRICT = '1';
  else delete env.CFS_PARSE_STRICT;
  const r = spawnSync(process.execPath, [...cliArgv(), 'mkcomposefs', ...args], {
    cwd: REPO,
    env,
    input: opts.input,
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** C's message for each should-fail asset in non-strict mode (composefs-image.md §3.8). */
const SHOULD_FAIL: Record<string, string> = {
  'should-fail-big-inline.dump': 'Inline content size 5004 exceeds maximum 5000',
  'should-fail-dir-hardlink.dump': "Directories can't be hardlinked",
  'should-fail-dot-name.dump': 'Invalid . or .. in path: /.',
  'should-fail-dotdot-name.dump': 'Invalid . or .. in path: /..',
  'should-fail-empty-link-name.dump': 'Invalid symlink',
  'should-fail-empty-name.dump': "Can't add child",
  'should-fail-empty-xattr-key.dump': "Can't set xattr",
  'should-fail-honggfuzz-long-xattr.dump': "Can't set xattr",
  'should-fail-long-link.dump': 'Invalid symlink',
  'should-fail-long-xattr-key.dump': 'Too many xattrs',
  'should-fail-long-xattr-value.dump': 'Invalid mode 644',
  'should-fail-no-ftype.dump': 'Invalid mode 0',
  'should-fail-self-hardlink.dump': 'Self-referential hardlink /037blockdev',
  'should-fail-too-big.dump': 'cannot write file: File too large',
};

describe('cfskit mkcomposefs (whole process)', function () {
  this.timeout(300000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-mkcfs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the C image from a dump file, with the version flags', () => {
    const special = upstreamAssets().find((a) => a.name === 'special.dump')!;
    const src = join(dir, 'special.dump');
    writeFileSync(src, special.dump);
    const r = cfskit(['--from-file', '--min-version=0', '--max-version', '0', src, join(dir, 'out.cfs')], { strict: true });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.length).to.equal(0);
    expect(sha256(readFileSync(join(dir, 'out.cfs')))).to.equal(special.sha256);
    expect(readdirSync(dir).sort()).to.deep.equal(['out.cfs', 'special.dump']);
  });

  it('reads stdin and writes stdout; --print-digest appends the fs-verity digest', function () {
    needCommand(this, 'fsverity');
    const cs9 = upstreamAssets().find((a) => a.name === 'cs9-x86_64-minimal.dump.gz')!;
    const r = cfskit(['--from-file', '--print-digest', '-', '-'], { input: cs9.dump, strict: true });
    expect(r.status, r.stderr).to.equal(0);
    const image = r.stdout.subarray(0, r.stdout.length - 65);
    expect(sha256(image)).to.equal(cs9.sha256);
    const file = join(dir, 'cs9.cfs');
    writeFileSync(file, image);
    const peer = runPeer('fsverity', ['digest', '--compact', file]);
    expect(r.stdout.subarray(image.length).toString()).to.equal(peer.stdout);
  });

  it('--print-digest-only prints the digest and writes nothing', function () {
    needCommand(this, 'fsverity');
    const a = upstreamAssets().find((x) => x.name === 'special_v1.dump')!;
    const src = join(dir, 'in.dump');
    writeFileSync(src, a.dump);
    const r = cfskit(['--print-digest-only', '--from-file', src]);
    expect(r.status, r.stderr).to.equal(0);
    const out = cfskit(['--from-file', src, join(dir, 'img')]);
    expect(out.status, out.stderr).to.equal(0);
    expect(r.stdout.toString()).to.equal(runPeer('fsverity', ['digest', '--compact', join(dir, 'img')]).stdout);
    expect(readdirSync(dir).sort()).to.deep.equal(['img', 'in.dump']);
  });

  it('refuses bad arguments like mkcomposefs', () => {
    const cases: [string[], string][] = [
      [[], 'No source path specified'],
      [['--from-file', 'a'], 'No destination path specified'],
      [['--from-file', 'a', 'b', 'c'], 'Too many arguments'],
      [['--print-digest-only', '--from-file', 'a', 'b'], 'Cannot specify destination path with --print-digest-only'],
      [['--from-file', '--min-version=x', 'a', 'b'], 'Invalid min version x'],
      [['--from-file', '--max-version=1y', 'a', 'b'], 'Invalid max version 1y'],
      [['--from-file', '--min-version=2', join(REPO, 'test/vectors/composefs/upstream/special.dump'), 'out'], 'cannot write file: Invalid argument'],
    ];
    for (const [args, message] of cases) {
      const r = cfskit(args.map((a) => (a === 'out' ? join(dir, a) : a)));
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.contain(message);
    }
    // Refused argument vectors exit 2 with getopt's wording (src/cli/args.ts).
    for (const [args, message] of [[['--from-file', '--min-version'], "option '--min-version' requires an argument"], [['--bogus', 'a', 'b'], "unrecognized option '--bogus'"]]) {
      const r = cfskit(args as string[]);
      expect(r.status, (args as string[]).join(' ')).to.equal(2);
      expect(r.stderr).to.contain(message as string);
    }
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('words a refused dumpfile from its one read (a FIFO cannot be read again)', async () => {
    const fifo = join(dir, 'dump.fifo');
    execFileSync('mkfifo', [fifo]);
    const env = { ...process.env };
    delete env.CFS_PARSE_STRICT;
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'mkcomposefs', '--from-file', fifo, join(dir, 'out.cfs')], {
      cwd: REPO,
      env,
      // A second open of the FIFO would wait for a writer forever.
      timeout: 120000,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    await writeFile(fifo, '/ 4096 40755 2 0 0 0 0.0 - - -\n/a 0 170644 1 0 0 0 0.0 - - -\n');
    expect(await status).to.equal(1);
    expect(stderr).to.equal(`cfskit mkcomposefs: ${fifo}:2: MODE: Invalid mode 170644\n`);
    expect(readdirSync(dir)).to.deep.equal(['dump.fifo']);
  });

  for (const a of shouldFailAssets()) {
    it(`${a.name}: exit 1, C's message, no output file`, () => {
      const r = cfskit(['--from-file', a.path, join(dir, 'out.cfs')]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/^cfskit mkcomposefs: /);
      expect(r.stderr).to.contain(SHOULD_FAIL[a.name]);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  }

  for (const v of randomVectors().filter((x) => x.expect.some((e) => 'fail' in e))) {
    it(`${v.name} (refused by C): exit 1, C's message, no output file`, () => {
      v.expect.forEach((want, i) => {
        if (!('fail' in want)) return;
        const flags = i === 0 ? [] : ['--min-version=1', '--max-version=1'];
        const r = cfskit(['--from-file', ...flags, '-', join(dir, 'out.cfs')], { input: v.dump, strict: true });
        expect(r.status, `v${i}`).to.equal(1);
        expect(r.stderr, `v${i}`).to.contain(want.fail);
        expect(readdirSync(dir), `v${i}`).to.deep.equal([]);
      });
    });
  }
});
