import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { CfsError } from '../../src/errors.js';
import { initRepo, openRepo, INIT_MODES } from '../../src/ostree/repo.js';
import { readCommit, resolveRev, writeStubCommit } from '../../src/ostree/commit.js';
import { listRefs, readRef, writeRef, deleteRef } from '../../src/ostree/refs.js';
import { isTempName } from '../../src/io/temp-name.js';
import { LOCK_NAME, withRepoLock } from '../../src/ostree/lock.js';
import { objectPath } from '../../src/ostree/objects.js';
import { formatCommit } from '../../src/ostree/dump.js';
import { printVariant } from '../../src/formats/gvariant-text.js';
import { cfskit } from '../helpers/cli.js';

const ostree = (repo: string, ...args: string[]) => {
  const r = runPeer('ostree', [`--repo=${repo}`, ...args]);
  return r;
};
const tree = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`${rel}${e.name}${e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out;
};
const digestOf = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);

describe('ostree repository (ostree.md §2) against ostree 2022.7', function () {
  let dir: string;
  before(function () {
    needCommand(this, 'ostree');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-repo-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('init writes the same config bytes and layout as `ostree init` for every mode', () => {
    for (const mode of INIT_MODES) {
      const theirs = join(dir, `theirs-${mode}`);
      expect(ostree(theirs, 'init', `--mode=${mode}`).status).to.equal(0);
      const r = cfskit(['init', `--repo=${join(dir, `ours-${mode}`)}`, `--mode=${mode}`]);
      expect(r.status, r.stderr).to.equal(0);
      const ours = join(dir, `ours-${mode}`);
      expect(readFileSync(join(ours, 'config'), 'utf8')).to.equal(readFileSync(join(theirs, 'config'), 'utf8'));
      expect(tree(ours)).to.deep.equal(tree(theirs));
      expect(openRepo(theirs).mode).to.equal(mode);
    }
  });

  it('init keeps an existing repository; open refuses non-repositories and other versions', () => {
    const path = join(dir, 'keep');
    initRepo(path, 'archive');
    expect(initRepo(path, 'bare').mode).to.equal('archive');
    expect(() => openRepo(join(dir, 'nothing'))).to.throw(CfsError, /not an ostree repository/);
    const v2 = join(dir, 'v2');
    initRepo(v2, 'bare');
    writeFileSync(join(v2, 'config'), '[core]\nrepo_version=2\nmode=bare\n');
    expect(() => openRepo(v2)).to.throw(CfsError, /invalid repository version/);
    expect(cfskit(['init', `--repo=${join(dir, 'm')}`, '--mode=bogus']).status).to.equal(1);
  });

  describe('stub commits read by ostree', () => {
    let repo: ReturnType<typeof initRepo>;
    const sums: string[] = [];
    before(() => {
      repo = initRepo(join(dir, 'stub'), 'bare-user-only');
      sums.push(writeStubCommit(repo, { branch: 'os/x86_64/stable', subject: 'first', imageDigest: digestOf(1), formatVersion: 1, version: '1.0', timestamp: 1704067200n }));
      sums.push(writeStubCommit(repo, { branch: 'os/x86_64/stable', subject: 'second\nwith two lines', body: 'a body\n\nparagraph', imageDigest: digestOf(2), formatVersion: 0, version: '1.1', kernelVersion: '6.1.0-13-amd64', timestamp: 1704067300n, metadata: [['org.example.k', { type: 's', value: 'v' }]] }));
      sums.push(writeStubCommit(repo, { branch: 'os/x86_64/stable', imageDigest: digestOf(3), formatVersion: 1, timestamp: 1704067400n }));
      sums.push(writeStubCommit(repo, { branch: 'other', subject: 'other branch', imageDigest: digestOf(4), formatVersion: 1, parent: null, timestamp: 1704067500n }));
    });

    it('ostree fsck is clean', () => {
      const r = ostree(repo.path, 'fsck');
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('object fsck of 4 commits completed successfully - no errors found.');
    });

    it('ostree log lists the chain with subjects and parents; cfskit log prints the same plus Composefs lines', () => {
      const theirs = ostree(repo.path, 'log', 'os/x86_64/stable');
      expect(theirs.status).to.equal(0);
      const commits = [...theirs.stdout.matchAll(/^commit (\w+)$/gm)].map((m) => m[1]);
      expect(commits).to.deep.equal([sums[2], sums[1], sums[0]]);
      expect(theirs.stdout).to.contain(`Parent:  ${sums[1]}`).and.contain('    second\n    with two lines\n\n    a body\n    \n    paragraph\n');
      expect(theirs.stdout).to.contain('(no subject)').and.contain('Version: 1.1');
      const ours = cfskit(['log', '--repo', repo.path, 'os/x86_64/stable']);
      expect(ours.status, ours.stderr).to.equal(0);
      expect(ours.stdout.replace(/^Composefs: .*\n/gm, '')).to.equal(theirs.stdout);
      expect(ours.stdout.match(/^Composefs: .*$/gm)).to.have.length(3);
      const show = cfskit(['show', '--repo', repo.path, 'os/x86_64/stable^']);
      expect(show.stdout.replace(/^Composefs: .*\n/gm, '')).to.equal(ostree(repo.path, 'show', 'os/x86_64/stable^').stdout);
    });

    it('ostree show --print-metadata-key prints our metadata, and cfskit show prints the same', () => {
      const expectations: [string, string][] = [
        ['ostree.composefs.digest.v0', printVariant('ay', digestOf(2))],
        ['version', "'1.1'"],
        ['ostree.bootable', 'true'],
        ['ostree.linux', "'6.1.0-13-amd64'"],
        ['cfskit.image', `'${Buffer.from(digestOf(2)).toString('hex')}'`],
        ['cfskit.format-version', 'uint32 0'],
        ['ostree.ref-binding', "['os/x86_64/stable']"],
        ['org.example.k', "'v'"],
      ];
      for (const [key, text] of expectations) {
        const theirs = ostree(repo.path, 'show', `--print-metadata-key=${key}`, sums[1]);
        expect(theirs.stdout, key).to.equal(`${text}\n`);
      }
      const ours = cfskit(['show', '--repo', repo.path, '--print-metadata-key=ostree.composefs.digest.v0', sums[1]]);
      expect(ours.stdout).to.equal(`${expectations[0][1]}\n`);
      expect(ostree(repo.path, 'show', '--print-metadata-key=ostree.bootable', sums[0]).status).to.equal(1);
      const missing = cfskit(['show', '--repo', repo.path, '--print-metadata-key=ostree.bootable', sums[0]]);
      expect(missing.status).to.equal(1);
      expect(missing.stderr).to.contain("No such metadata key 'ostree.bootable'");
    });

    it('ostree refs lists our branches, and remote refs as REMOTE:NAME', () => {
      writeRef(repo, 'origin:os/x86_64/stable', sums[0]);
      const theirs = ostree(repo.path, 'refs').stdout.trim().split('\n').sort();
      expect(theirs).to.deep.equal(['origin:os/x86_64/stable', 'os/x86_64/stable', 'other']);
      expect(cfskit(['refs', '--repo', repo.path]).stdout.trim().split('\n').sort()).to.deep.equal(theirs);
      expect(ostree(repo.path, 'rev-parse', 'origin:os/x86_64/stable').stdout.trim()).to.equal(sums[0]);
      expect(resolveRev(repo, 'origin/os/x86_64/stable')).to.equal(sums[0]);
      expect(deleteRef(repo, 'origin:os/x86_64/stable')).to.equal(true);
      expect(ostree(repo.path, 'refs').stdout).not.to.contain('origin:');
      expect(cfskit(['refs', '--repo', repo.path, '--create=copy/of/other', 'other']).status).to.equal(0);
      expect(ostree(repo.path, 'rev-parse', 'copy/of/other').stdout.trim()).to.equal(sums[3]);
      expect(cfskit(['refs', '--repo', repo.path, '--create=copy/of/other', 'other']).status).to.equal(1);
      expect(cfskit(['refs', '--repo', repo.path, '--delete', 'copy/of/other']).status).to.equal(0);
      expect(cfskit(['refs', '--repo', repo.path, '--delete', 'copy/of/other']).status).to.equal(1);
      expect(ostree(repo.path, 'refs').stdout.trim().split('\n').sort()).to.deep.equal(['os/x86_64/stable', 'other']);
    });

    it('a missing parent ends the log like ostree does', () => {
      const copy = join(dir, 'pruned');
      spawnSync('cp', ['-a', repo.path, copy]);
      const r = openRepo(copy);
      rmSync(objectPath(r, sums[0], 'commit'));
      const theirs = ostree(copy, 'log', 'os/x86_64/stable');
      const ours = cfskit(['log', '--repo', copy, 'os/x86_64/stable']);
      expect(ours.status, ours.stderr).to.equal(0);
      expect(ours.stdout.replace(/^Composefs: .*\n/gm, '')).to.equal(theirs.stdout);
      expect(ours.stdout).to.contain('<< History beyond this commit not fetched >>');
    });
  });

  describe('repositories and commits made by ostree', () => {
    let path: string;
    before(() => {
      path = join(dir, 'theirs');
      const src = join(dir, 'src');
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'hello.txt'), 'hello\n');
      expect(ostree(path, 'init', '--mode=bare-user-only').status).to.equal(0);
      for (const [subject, ts] of [['one', '2024-01-01T00:00:00Z'], ['two', '2024-02-01T00:00:00Z']]) {
        const r = ostree(path, 'commit', '-b', 'exampleos/main', `--tree=dir=${src}`, '-s', subject, '--body', `body of ${subject}`,
          `--timestamp=${ts}`, '--add-metadata-string=version=2.0', '--add-metadata-string=quote=it\'s');
        expect(r.status, r.stderr).to.equal(0);
      }
    });

    it('reads the commit fields ostree wrote', () => {
      const repo = openRepo(path);
      const { checksum, commit } = readCommit(repo, 'exampleos/main');
      expect(checksum).to.equal(ostree(path, 'rev-parse', 'exampleos/main').stdout.trim());
      expect(commit).to.include({ subject: 'two', body: 'body of two', timestamp: 1706745600n });
      expect(commit.parent).to.equal(ostree(path, 'rev-parse', 'exampleos/main^').stdout.trim());
      expect(commit.metadata.map(([k]) => k)).to.include.members(['version', 'quote', 'ostree.ref-binding']);
      expect(formatCommit(checksum, commit)).to.equal(ostree(path, 'show', 'exampleos/main').stdout);
    });

    it('resolves revisions like ostree rev-parse: ref, REF^, full checksum, unique prefix', () => {
      const repo = openRepo(path);
      for (const rev of ['exampleos/main', 'exampleos/main^']) {
        const theirs = ostree(path, 'rev-parse', rev).stdout.trim();
        expect(resolveRev(repo, rev)).to.equal(theirs);
        expect(resolveRev(repo, theirs)).to.equal(theirs);
        expect(resolveRev(repo, theirs.slice(0, 10))).to.equal(theirs);
      }
      expect(() => resolveRev(repo, 'exampleos/main^^')).to.throw(CfsError, /has no parent/);
      expect(() => resolveRev(repo, 'nosuchref')).to.throw(CfsError, /not found/);
      expect([...listRefs(repo).keys()]).to.deep.equal(['exampleos/main']);
    });

    it('rejects invalid ref names and leaves nothing behind', () => {
      const repo = openRepo(path);
      const sum = readRef(repo, 'exampleos/main')!;
      for (const bad of ['', '/a', 'a/', '-a', 'a//b', 'a b', '.x', sum]) {
        expect(() => writeRef(repo, bad, sum), bad).to.throw(CfsError);
      }
      expect(ostree(path, 'refs').stdout.trim()).to.equal('exampleos/main');
      expect(readdirSync(repo.tmpDir).filter(isTempName)).to.deep.equal([]);
    });

    it('refuses a corrupted commit object with a typed error', () => {
      const copy = join(dir, 'corrupt');
      spawnSync('cp', ['-a', path, copy]);
      const repo = openRepo(copy);
      const sum = readRef(repo, 'exampleos/main')!;
      const file = objectPath(repo, sum, 'commit');
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] ^= 0x40;
      writeFileSync(file, bytes);
      expect(() => readCommit(repo, sum)).to.throw(CfsError);
      expect(ostree(copy, 'fsck').status).to.not.equal(0);
    });
  });

  describe('writer lock', () => {
    it('two processes committing to one branch at once both succeed, in one chain; fsck clean', async function () {
      const repo = initRepo(join(dir, 'concurrent'), 'archive');
      const run = (tag: string) =>
        new Promise<number>((resolve) => {
          const p = spawn(process.execPath, ['--import', 'tsx', 'test/ostree/commit-worker.ts', repo.path, 'race', tag, '8'], { stdio: 'inherit' });
          p.on('exit', (code) => resolve(code ?? -1));
        });
      expect(await Promise.all([run('a'), run('b')])).to.deep.equal([0, 0]);
      const log = ostree(repo.path, 'log', 'race').stdout;
      const subjects = [...log.matchAll(/^ {4}([ab] \d)$/gm)].map((m) => m[1]);
      expect(subjects).to.have.length(16);
      expect(new Set(subjects).size).to.equal(16);
      expect(log).not.to.contain('History beyond');
      expect(ostree(repo.path, 'fsck').status).to.equal(0);
      expect(existsSync(join(repo.path, LOCK_NAME))).to.equal(false);
    });

    it('breaks a lock left by a dead process, and times out on a live holder', async () => {
      const repo = initRepo(join(dir, 'locks'), 'bare-user-only');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      writeFileSync(join(repo.path, LOCK_NAME), `${dead.stdout} ${(await import('node:os')).hostname()}\n`);
      expect(await withRepoLock(repo, () => 'ran')).to.equal('ran');
      writeFileSync(join(repo.path, LOCK_NAME), `${process.ppid} ${(await import('node:os')).hostname()}\n`);
      repo.config.setValue('core', 'lock-timeout-secs', '0');
      let caught: unknown;
      try {
        await withRepoLock(repo, () => 'never');
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(CfsError).with.property('code', 'ELOCKED');
      expect(readFileSync(join(repo.path, LOCK_NAME), 'utf8')).to.contain(String(process.ppid));
    });
  });
});
