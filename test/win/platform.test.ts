/**
 * The platform-dependent branches, taken on Linux by naming the platform: directory fsync skipped
 * on win32, the directory-source metadata policy (host-modes.ts) with its one warning, symlink
 * creation checked, and WriteLog (deploy's stand-in for syncfs) fsyncing what was written.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDirectory } from '../../src/composefs/sources/dir.js';
import { hasPosixMetadata, policyMode, POLICY_DIR_MODE, POLICY_EXEC_MODE, POLICY_FILE_MODE } from '../../src/composefs/sources/host-modes.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, type Node } from '../../src/tree/tree.js';
import { createSymlink, type Fs, nodeFs, syncPath, WriteLog } from '../../src/io/fs.js';
import { needMount } from '../helpers/peers.js';

const named = (n: Node, name: string) => n.children!.find((c) => Buffer.from(c.name).toString() === name)!;

describe('platforms: the win32 and darwin branches, taken on Linux', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-platform-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('syncPath: files through a writable descriptor everywhere; directories flushed except on win32', () => {
    writeFileSync(join(dir, 'f'), 'x');
    for (const platform of ['linux', 'darwin', 'win32'] as const) expect(syncPath(join(dir, 'f'), platform), platform).to.equal('file');
    expect(syncPath(dir, 'linux')).to.equal('dir');
    expect(syncPath(dir, 'darwin')).to.equal('dir');
    expect(syncPath(dir, 'win32')).to.equal('skipped');
  });

  it('syncPath of a file we may not open for writing: POSIX falls back to a read-only descriptor, win32 reports the refusal', function () {
    // as an ordinary user a 0444 file refuses 'r+' (EACCES); root opens any file for writing, so
    // as root the file sits on a tmpfs remounted read-only (EROFS)
    const root = process.getuid?.() === 0;
    const mnt = join(dir, 'ro-mnt');
    const p = join(root ? mnt : dir, 'ro');
    if (root) {
      needMount(this);
      mkdirSync(mnt);
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).to.equal(0);
    }
    try {
      writeFileSync(p, 'x');
      chmodSync(p, 0o444);
      if (root) expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).to.equal(0);
      expect(syncPath(p, 'linux')).to.equal('file');
      expect(() => syncPath(p, 'win32')).to.throw().with.property('code', root ? 'EROFS' : 'EACCES');
    } finally {
      if (root) spawnSync('umount', [mnt]);
    }
  });

  it('hasPosixMetadata: never on win32; darwin trusts lstat; Linux by filesystem type (this one is POSIX)', () => {
    expect(hasPosixMetadata(dir, 'win32')).to.equal(false);
    expect(hasPosixMetadata(dir, 'darwin')).to.equal(true);
    expect(hasPosixMetadata(dir, 'linux')).to.equal(true);
  });

  it('policyMode: 0755 directories, 0755 for #! and ELF, 0644 otherwise, 0777 symlinks', () => {
    const head = (s: string | number[]) => new Uint8Array(typeof s === 'string' ? Buffer.from(s) : s);
    expect(policyMode(S_IFDIR, head(''))).to.equal(POLICY_DIR_MODE);
    expect(policyMode(S_IFREG, head('#!/bin/sh'))).to.equal(POLICY_EXEC_MODE);
    expect(policyMode(S_IFREG, head([0x7f, 0x45, 0x4c, 0x46]))).to.equal(POLICY_EXEC_MODE);
    expect(policyMode(S_IFREG, head([0x7f, 0x45, 0x4c]))).to.equal(POLICY_FILE_MODE);
    expect(policyMode(S_IFREG, head('#'))).to.equal(POLICY_FILE_MODE);
    expect(policyMode(S_IFREG, head('MZ\x90\x00'))).to.equal(POLICY_FILE_MODE);
    expect(policyMode(S_IFLNK, head(''))).to.equal(S_IFLNK | 0o777);
    expect(policyMode(S_IFCHR, head(''))).to.equal(S_IFCHR | 0o644);
  });

  it('a directory source read as win32 gets the policy and one warning; read as linux, lstat and none', async () => {
    mkdirSync(join(dir, 'bin'), { mode: 0o700 });
    writeFileSync(join(dir, 'bin', 'run'), '#!/bin/sh\n', { mode: 0o600 });
    writeFileSync(join(dir, 'bin', 'data'), 'data', { mode: 0o666 });
    symlinkSync('run', join(dir, 'bin', 'link'));
    chmodSync(join(dir, 'bin'), 0o700);
    const warnings: string[] = [];
    const win = await loadDirectory(dir, { platform: 'win32', warn: (m) => warnings.push(m), threads: 1 });
    expect(warnings).to.have.length(1);
    const bin = named(win, 'bin');
    expect([win.mode, bin.mode, named(bin, 'run').mode, named(bin, 'data').mode, named(bin, 'link').mode].map((m) => m.toString(8)))
      .to.deep.equal([POLICY_DIR_MODE, POLICY_DIR_MODE, POLICY_EXEC_MODE, POLICY_FILE_MODE, S_IFLNK | 0o777].map((m) => m.toString(8)));
    expect(Buffer.from(named(bin, 'link').payload!).toString()).to.equal('run');
    expect(named(bin, 'run').uid).to.equal(0);

    const linux = await loadDirectory(dir, { platform: 'linux', warn: (m) => warnings.push(m), threads: 1 });
    expect(warnings).to.have.length(1);
    expect(named(linux, 'bin').mode).to.equal(S_IFDIR | 0o700);
    expect(named(named(linux, 'bin'), 'run').mode).to.equal(S_IFREG | 0o600);
  });

  it('createSymlink: a link that is there passes the win32 check; a refusal keeps its errno elsewhere', () => {
    createSymlink('target', join(dir, 'l'), 'win32');
    expect(nodeFs.readlink(join(dir, 'l'))!.toString()).to.equal('target');
    expect(() => createSymlink('target', join(dir, 'l'), 'linux')).to.throw(/EEXIST/);
  });

  it('WriteLog.sync fsyncs the files written (renames followed, symlinks and removed files left out), then their directories', () => {
    const synced: string[] = [];
    const counting: Fs = { ...nodeFs, fsync: (p) => void synced.push(String(p).slice(dir.length)) };
    const log = new WriteLog(counting);
    const f = log.fs;
    f.mkdir(join(dir, 'etc'), 0o755);
    f.writeFile(join(dir, 'etc', 'a.tmp'), 'a', 0o644);
    f.rename(join(dir, 'etc', 'a.tmp'), join(dir, 'etc', 'a'));
    f.writeFile(Buffer.from(join(dir, 'etc', 'b\xff')), 'b', 0o644);
    f.symlink('a', join(dir, 'etc', 'l'));
    f.writeFile(join(dir, 'gone'), 'x', 0o644);
    f.unlink(join(dir, 'gone'));
    log.sync();
    expect(synced).to.deep.equal(['/etc/a', `/etc/b\xff`, '/etc', '']);
    synced.length = 0;
    log.sync();
    expect(synced).to.deep.equal([]);
  });
});
