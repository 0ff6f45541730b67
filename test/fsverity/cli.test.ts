import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, needCommand } from '../helpers/peers.js';
import { ruleContent } from './content.js';
import { cliArgv } from '../helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Runs a command without the capabilities that let root read any file, so chmod 000 really makes a
 * file unreadable; the process stays root and can still read the project wherever it is cloned.
 */
const withoutDacOverride = (cmd: string[]) =>
  process.getuid?.() === 0 && hasCommand('setpriv') ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', ...cmd] : cmd;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string[], cwd: string): Run {
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const ours = (args: string[], cwd: string, user = false) =>
  run((user ? withoutDacOverride : (c: string[]) => c)([process.execPath, ...cliArgv(), 'digest', ...args]), cwd);
const theirs = (args: string[], cwd: string, user = false) => run((user ? withoutDacOverride : (c: string[]) => c)(['fsverity', 'digest', ...args]), cwd);

/** One line on stderr naming what is wrong. */
function expectOneErrorLine(r: Run, mention: string): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^cfskit digest: /);
  expect(lines[0]).to.contain(mention);
}

describe('cfskit digest CLI = fsverity digest', function () {
  let dir: string;
  before(function () {
    needCommand(this, 'fsverity');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-digest-cli-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'a'), 'hello world');
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'big'), ruleContent(3 << 20, 5));
    writeFileSync(join(dir, 'name with spaces'), 'x');
    writeFileSync(join(dir, '-dash'), 'y');
    writeFileSync(join(dir, 'locked'), 'secret');
    chmodSync(join(dir, 'locked'), 0o000);
    mkdirSync(join(dir, 'sub'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const same = [
    ['a'],
    ['a', 'empty', 'big', 'name with spaces'],
    ['--compact', 'a', 'empty', 'big'],
    ['--hash-alg=sha512', 'a', 'big'],
    ['--hash-alg=sha512', '--block-size=1024', '--salt=0102', 'a', 'big'],
    ['--block-size=65536', '--salt=' + 'ab'.repeat(32), '--compact', 'big'],
    ['--block-size=64', 'a', 'big'],
    ['--block-size=131072', 'big'],
    ['--salt=', '--block-size=04096', 'a'],
    ['--compact', '--', '-dash', 'a'],
    [join('sub', '..', 'a')],
  ];
  for (const args of same) {
    it(`prints the same as fsverity for: ${args.join(' ')}`, () => {
      const r = ours(args, dir);
      const t = theirs(args, dir);
      expect(t.status).to.equal(0);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.equal(t.stdout);
      expect(r.status).to.equal(0);
    });
  }

  const fileErrors: [string[], string][] = [
    [['a', 'missing', 'empty'], 'missing'],
    [['a', 'sub', 'empty'], 'sub'],
    [['empty', 'locked', 'a'], 'locked'],
  ];
  for (const [args, bad] of fileErrors) {
    it(`reports the files before '${bad}', then one error line and exit 1, as fsverity does: ${args.join(' ')}`, () => {
      const r = ours(args, dir, true);
      const t = theirs(args, dir, true);
      expect(t.status).to.equal(1);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.equal(t.stdout);
      expect(r.stdout.split('\n')).to.have.length(2); // the first file only
      expectOneErrorLine(r, bad);
    });
  }

  const badArgs: [string[], string][] = [
    [['--block-size=3000', 'a'], '--block-size'],
    [['--block-size=0x1000', 'a'], '--block-size'],
    [['--block-size=1', 'a'], 'blockSize'],
    [['--hash-alg=sha512', '--block-size=64', 'a'], 'blockSize'],
    [['--salt=abc', 'a'], '--salt'],
    [['--salt=zz', 'a'], '--salt'],
    [['--salt=' + '00'.repeat(33), 'a'], 'salt'],
    [['--hash-alg=md5', 'a'], 'md5'],
    [['--block-size=4096', '--block-size=1024', 'a'], '--block-size'],
    [['--no-such-option', 'a'], '--no-such-option'],
  ];
  for (const [args, mention] of badArgs) {
    it(`refuses, as fsverity does, with one error line and exit 1: ${args.join(' ')}`, () => {
      const r = ours(args, dir);
      const t = theirs(args, dir);
      expect(t.status).to.not.equal(0); // fsverity exits 2 for usage errors, 1 for the others
      expect(t.stdout).to.equal('');
      expect(r.stdout).to.equal('');
      // An unknown option is a refused argument vector: exit 2 and a pointer to the help (src/cli/args.ts).
      if (mention === '--no-such-option') {
        expect(r.status).to.equal(2);
        expect(r.stderr).to.equal("cfskit digest: unrecognized option '--no-such-option'\nTry 'cfskit help digest' for more information.\n");
        return;
      }
      expect(r.status).to.equal(1);
      expectOneErrorLine(r, mention);
    });
  }

  it('refuses no FILE with exit 1 in one line', () => {
    const r = ours([], dir);
    expect(theirs([], dir).status).to.not.equal(0);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal('cfskit digest: no FILE given\n');
  });

  it('compiled dist/ CLI hashes a file in worker threads and prints what fsverity prints', function () {
    expect(existsSync(join(repo, 'dist', 'fsverity', 'worker.js')), 'dist/ is built (npm run build)').to.equal(true);
    const big = join(dir, 'bigger');
    writeFileSync(big, ruleContent(40 << 20, 9)); // above the 32 MiB parallel threshold
    const r = run([process.execPath, ...cliArgv('dist'), 'digest', '--block-size=1024', 'bigger', 'a'], dir);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(theirs(['--block-size=1024', 'bigger', 'a'], dir).stdout);
  });
});
