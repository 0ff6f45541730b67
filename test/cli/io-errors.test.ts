/**
 * Every I/O error as one line (src/errors.ts ioError, src/cli/main.ts): stdout on /dev/full
 * (ENOSPC) and on a pipe nobody reads (EPIPE: quiet, 141 as coreutils under a shell's default
 * SIGPIPE) for each printing command; ENOSPC while committing into a full filesystem and while
 * deploying /etc; outside bytes in error lines escaped and truncated.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CfsError, PLACE_PRINT_MAX, REASON_PRINT_MAX } from '../../src/errors.js';
import { buildDeploymentEtc } from '../../src/sysroot/etc/etc-merge.js';
import { nodeFs } from '../../src/io/fs.js';
import { buildTree, F } from '../sysroot/etc/etc-tree.js';
import { needMount } from '../helpers/peers.js';
import { VECTOR_DIR } from '../composefs/vectors.js';
import { commitVersion, makeSysroot, STATEROOT } from '../sysroot/deploy/fixture.js';
import { deploy } from '../../src/sysroot/deploy.js';
import { cfskit, cliArgv } from '../helpers/cli.js';

const run = (args: string[], stdout: 'pipe' | number = 'pipe') => cfskit(args, { stdio: ['ignore', stdout, 'pipe'] });
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Runs cfskit with stdout on a pipe whose only reader is closed before cfskit starts. */
function intoClosedPipe(dir: string, args: string[]) {
  const fifo = join(dir, `fifo-${Math.random().toString(16).slice(2)}`);
  const cmd = `mkfifo ${fifo}; exec 4<>${fifo} 5>${fifo} 4<&-; rm ${fifo}; exec ${quote(process.execPath)} ${[...cliArgv(), ...args].map(quote).join(' ')} >&5`;
  return spawnSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
}

const oneLine = (stderr: string) => {
  expect(stderr.split('\n'), stderr).to.have.length(2); // one line and its newline
  expect(stderr).to.not.match(/\n\s+at /);
};

describe('CLI: I/O errors as one line', function () {
  this.timeout(300_000);
  let dir: string;
  let repo: string;
  let image: string;
  let commands: [string, string[]][];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-ioerr-'));
    repo = join(dir, 'repo');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a'), 'a\n');
    const dump = join(dir, 'cs9.dump');
    writeFileSync(dump, gunzipSync(readFileSync(join(VECTOR_DIR, 'upstream', 'cs9-x86_64-minimal.dump.gz'))));
    image = join(dir, 'cs9.cfs');
    expect(run(['mkcomposefs', '--from-file', dump, image]).status).to.equal(0);
    expect(run(['init', `--repo=${repo}`]).status).to.equal(0);
    const c = run(['commit', `--repo=${repo}`, '--branch=main', join(dir, 'src')]);
    expect(c.status, c.stderr).to.equal(0);
    const sysroot = join(dir, 'sysroot');
    makeSysroot(sysroot);
    const v1 = await commitVersion(sysroot, dir, '1.0');
    await deploy({ sysroot, stateroot: STATEROOT, source: v1.checksum });
    commands = [
      ['admin', ['admin', 'status', `--sysroot=${sysroot}`]],
      ['log', ['log', `--repo=${repo}`, 'main']],
      ['show', ['show', `--repo=${repo}`, 'main']],
      ['refs', ['refs', `--repo=${repo}`]],
      ['digest', ['digest', image]],
      ['info', ['info', 'dump', image]],
      ['mkcomposefs', ['mkcomposefs', '--from-file', dump, '-']],
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stdout on /dev/full: "cfskit CMD: stdout: No space left on device", exit 1', () => {
    for (const [name, args] of commands) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = run(args, full);
        expect(r.status, `${name}: ${r.stderr}`).to.equal(1);
        oneLine(r.stderr);
        expect(r.stderr).to.equal(`cfskit ${name}: stdout: No space left on device\n`);
      } finally {
        closeSync(full);
      }
    }
  });

  it('stdout into a closed pipe (`| true`): quiet, exit 141', () => {
    for (const [name, args] of commands) {
      const r = intoClosedPipe(dir, args);
      expect(r.stderr, name).to.equal('');
      expect(r.status, name).to.equal(141);
    }
  });

  it('ENOSPC while committing into a full filesystem: one line naming the object temp file, no temp left', function () {
    needMount(this);
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).to.equal(0);
    try {
      const r2 = join(mnt, 'repo');
      expect(run(['init', `--repo=${r2}`]).status).to.equal(0);
      mkdirSync(join(dir, 'big'));
      writeFileSync(join(dir, 'big', 'blob'), Buffer.alloc(3 << 20, 7));
      const r = run(['commit', `--repo=${r2}`, '--branch=main', join(dir, 'big')]);
      expect(r.status).to.equal(1);
      oneLine(r.stderr);
      expect(r.stderr).to.match(/^cfskit commit: \/\S+: No space left on device\n$/);
      const objects = join(r2, 'cfs', 'objects');
      const left = readdirSync(objects, { recursive: true }).map(String).filter((n) => n.includes('.cfskit-tmp.'));
      expect(left).to.deep.equal([]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('ENOSPC while deploy writes etc/ (EtcMerge.checkout): a CfsError naming the file', () => {
    const deployDir = join(dir, 'deploy');
    mkdirSync(deployDir);
    const fs = { ...nodeFs, writeFile: () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', errno: -28 }); } };
    const run = () => buildDeploymentEtc({ newDefaults: buildTree({ hosts: F('127.0.0.1 localhost\n') }), deployDir, fs });
    expect(run).to.throw(CfsError, `${deployDir}/etc/hosts: No space left on device`);
  });

  it('outside bytes in an error line are escaped (C-style) and truncated', () => {
    const hostile = `bad\n\x1b[31mforged line\r\u202e`;
    const r = run(['commit', `--repo=${repo}`, '--branch=x', join(dir, hostile)]);
    expect(r.status).to.equal(1);
    oneLine(r.stderr);
    expect(r.stderr).to.contain('bad\\n\\x1b[31mforged line\\r\\u{202e}');
    const long = run(['commit', `--repo=${repo}`, '--branch=x', join(dir, 'n'.repeat(100_000))]);
    expect(long.status).to.equal(1);
    oneLine(long.stderr);
    expect(long.stderr.length).to.be.below(PLACE_PRINT_MAX + REASON_PRINT_MAX + 100);
    const e = new CfsError(`name ${'x'.repeat(5000)}\n`, { file: 'f\x00', field: 'F\x07' });
    expect(e.message).to.match(/^f\\x00: F\\x07: name x+\.\.\.$/);
    expect(e.reason).to.contain('\n'); // the bare reason stays as given
  });
});
