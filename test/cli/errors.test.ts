import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

/** Each case of issue 16: one clear line, exit 1 or 2, nothing new on disk. */
describe('cfskit: bad input is refused in one line, never as an internal error or a false success', () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-cli-errors-'));
    mkdirSync(join(dir, 'somedir'));
    writeFileSync(join(dir, 'file'), 'not an archive\n');
    writeFileSync(join(dir, 'empty'), '');
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string[], RegExp][] = [
    ['os-init on an empty dir', ['admin', 'os-init', 'x', '--sysroot=somedir'], /somedir: not an ostree sysroot/],
    ['deploy on a nonexistent sysroot', ['admin', 'deploy', '--os=x', 'ref', '--sysroot=nonexist'], /nonexist: not an ostree sysroot/],
    ['rollback on a nonexistent sysroot', ['admin', 'rollback', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['cleanup on a nonexistent sysroot', ['admin', 'cleanup', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['undeploy on a nonexistent sysroot', ['admin', 'undeploy', '0', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['pin on a nonexistent sysroot', ['admin', 'pin', '0', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['kargs on a nonexistent sysroot', ['admin', 'kargs', '--append=a=b', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['verify of a nonexistent sysroot', ['admin', 'verify', '--sysroot=nonexist'], /not an ostree sysroot/],
    ['mkcomposefs IMAGE a directory', ['mkcomposefs', 'somedir', 'somedir'], /^cfskit mkcomposefs: somedir: Failed to open output file: Is a directory$/],
    ['mkcomposefs --from-file SOURCE a directory', ['mkcomposefs', '--from-file', 'somedir', 'x.cfs'], /^cfskit mkcomposefs: somedir: Failed to read: Is a directory$/],
    ['init below a regular file', ['init', '--repo=file/below'], /file: not a directory$/],
    ['init with missing parents', ['init', '--repo=nonexist/x/y'], /nonexist\/x: no such file or directory$/],
    ['demo --bogus', ['demo', '--bogus'], /^cfskit demo: unrecognized option '--bogus'$/],
    ['an empty tar layer', ['mkcomposefs', '--from-tar=empty', 'x.cfs'], /^cfskit mkcomposefs: empty:offset 0: empty archive: not a tar archive$/],
    ['a missing tar layer', ['mkcomposefs', '--from-tar=nonexist.tar', 'x.cfs'], /^cfskit mkcomposefs: nonexist.tar: cannot open: no such file or directory$/],
    ['a missing directory source', ['mkcomposefs', 'nonexistdir', 'x.cfs'], /^cfskit mkcomposefs: nonexistdir: error accessing: no such file or directory$/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await runCli(argv);
      expect(r.internal, String(r.internal)).to.equal(undefined);
      expect(r.status, r.stderr).to.be.oneOf([1, 2]);
      expect(r.stderr.split('\n')[0]).to.match(message);
      expect(r.stderr.split('\n').length).to.be.at.most(4);
      expect(readdirSync(dir).sort()).to.deep.equal(['empty', 'file', 'somedir']);
      expect(readdirSync(join(dir, 'somedir'))).to.deep.equal([]);
    });
  }

  it('verify of a sysroot with no deployments says so and exits 1', async () => {
    expect((await runCli(['admin', 'init-fs', 'somedir'])).status).to.equal(0);
    const r = await runCli(['admin', 'verify', '--sysroot=somedir']);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal('cfskit admin: no boot entries to verify (nothing deployed)\n');
  });

  it('commit of an empty file refuses it and moves no ref', async () => {
    expect((await runCli(['init', '--repo=repo'])).status).to.equal(0);
    const r = await runCli(['commit', '--repo=repo', '-b', 'os/x', 'empty']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal('cfskit commit: empty:offset 0: empty archive: not a tar archive\n');
    expect(readdirSync(join(dir, 'repo', 'refs', 'heads'))).to.deep.equal([]);
  });
});
