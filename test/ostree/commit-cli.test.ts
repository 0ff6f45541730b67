/**
 * `cfskit commit` end to end: image and backing files in `cfs/`, the stub commit naming the image,
 * read back by ostree 2022.7, digests checked with fsverity-utils, and (where the kernel allows)
 * the image mounted over the store.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountComposefsOverlay, mountErofs, needCommand, needMount, runPeer } from '../helpers/peers.js';
import { openRepo } from '../../src/ostree/repo.js';
import { readCommit } from '../../src/ostree/commit.js';
import { lookup } from '../../src/formats/gvariant.js';
import { printVariant } from '../../src/formats/gvariant-text.js';
import { cfsPaths, CFS_META } from '../../src/cfs/store.js';
import { cfskit, cfskitSpawn } from '../helpers/cli.js';

const fsverityDigest = (path: string) => `sha256:${runPeer('fsverity', ['digest', '--compact', path]).stdout.trim()}`;

describe('cfskit commit: stub commits naming composefs images in cfs/', function () {
  let dir: string;
  let repo: string;
  let src: string;
  const sums: string[] = [];
  before(function () {
    needCommand(this, 'ostree');
    needCommand(this, 'fsverity');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-commit-'));
    repo = join(dir, 'repo');
    src = join(dir, 'src');
    mkdirSync(join(src, 'usr/lib/modules/6.1.0-9-amd64'), { recursive: true });
    writeFileSync(join(src, 'usr/lib/modules/6.1.0-9-amd64/vmlinuz'), Buffer.alloc(9000, 'v'));
    writeFileSync(join(src, 'usr/data.bin'), Buffer.alloc(5000, 'd'));
    writeFileSync(join(src, 'usr/small'), 'small');
    expect(cfskit(['init', '--repo', repo, '--mode=bare-user-only']).status).to.equal(0);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('commits a directory: image and backing files stored by fs-verity digest, metadata names the image', () => {
    for (const subject of ['one', 'two']) {
      const r = cfskit(['commit', '--repo', repo, '--branch', 'os/stable', '-s', subject, '--version', `1.${sums.length}`,
        '--add-metadata-string', 'org.example.build=42', '--timestamp', String(1704067200 + sums.length), src]);
      expect(r.status, r.stderr).to.equal(0);
      sums.push(r.stdout.trim());
    }
    const { commit } = readCommit(openRepo(repo), 'os/stable');
    expect(commit.parent).to.equal(sums[0]);
    const digest = Buffer.from(lookup(commit.metadata, 'ostree.composefs.digest.v0')!.value as Uint8Array).toString('hex');
    const p = cfsPaths(openRepo(repo));
    const image = join(p.images, digest);
    expect(readlinkSync(image)).to.equal(`../objects/${digest.slice(0, 2)}/${digest.slice(2)}`);
    expect(fsverityDigest(image)).to.equal(`sha256:${digest}`);
    const data = fsverityDigest(join(src, 'usr/data.bin')).slice('sha256:'.length);
    expect(fsverityDigest(join(p.objects, data.slice(0, 2), data.slice(2)))).to.equal(`sha256:${data}`);
    expect(JSON.parse(readFileSync(p.meta, 'utf8'))).to.deep.equal(CFS_META);
    expect(lookup(commit.metadata, 'cfskit.image')!.value).to.equal(digest);
    expect(lookup(commit.metadata, 'ostree.linux')!.value).to.equal('6.1.0-9-amd64');
    expect(lookup(commit.metadata, 'org.example.build')!.value).to.equal('42');
  });

  it('ostree reads the stub commits: fsck, log chain, metadata keys, refs', () => {
    const fsck = runPeer('ostree', ['fsck', `--repo=${repo}`]);
    expect(fsck.status, fsck.stderr).to.equal(0);
    const log = runPeer('ostree', ['log', `--repo=${repo}`, 'os/stable']).stdout;
    expect([...log.matchAll(/^commit (\w+)$/gm)].map((m) => m[1])).to.deep.equal([sums[1], sums[0]]);
    expect(log).to.contain('    two\n').and.contain('    one\n').and.contain('Version: 1.1');
    const shown = (key: string) => runPeer('ostree', ['show', `--repo=${repo}`, `--print-metadata-key=${key}`, 'os/stable']).stdout;
    expect(shown('ostree.bootable')).to.equal('true\n');
    expect(shown('ostree.linux')).to.equal("'6.1.0-9-amd64'\n");
    expect(shown('cfskit.format-version')).to.match(/^uint32 [01]\n$/);
    const digest = readCommit(openRepo(repo), 'os/stable').commit.metadata.find(([k]) => k === 'cfskit.image')![1].value as string;
    expect(shown('ostree.composefs.digest.v0')).to.equal(`${printVariant('ay', new Uint8Array(Buffer.from(digest, 'hex')))}\n`);
    expect(runPeer('ostree', ['refs', `--repo=${repo}`]).stdout).to.equal('os/stable\n');
  });

  it('converts an ostree commit and commits an existing image file', () => {
    expect(runPeer('ostree', ['commit', `--repo=${repo}`, '-b', 'upstream', `--tree=dir=${src}`]).status).to.equal(0);
    const conv = cfskit(['commit', '--repo', repo, '-b', 'converted', '--from-ostree-commit', 'upstream', '-s', 'converted']);
    expect(conv.status, conv.stderr).to.equal(0);
    const meta = readCommit(openRepo(repo), 'converted').commit.metadata;
    expect(lookup(meta, 'ostree.linux')!.value).to.equal('6.1.0-9-amd64');
    const digest = lookup(meta, 'cfskit.image')!.value as string;
    const again = cfskit(['commit', '--repo', repo, '-b', 'reimported', '--image', join(cfsPaths(openRepo(repo)).images, digest)]);
    expect(again.status, again.stderr).to.equal(0);
    expect(lookup(readCommit(openRepo(repo), 'reimported').commit.metadata, 'cfskit.image')!.value).to.equal(digest);
  });

  it('refuses bad invocations with exit 1 and leaves the branch alone', () => {
    const before = readCommit(openRepo(repo), 'os/stable').checksum;
    expect(cfskit(['commit', '--repo', repo, src]).status).to.equal(1);
    const bad = cfskit(['commit', '--repo', repo, '-b', 'os/stable', join(dir, 'missing.dump')]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('missing.dump');
    expect(cfskit(['commit', '--repo', repo, '-b', 'os/stable', '--parent', 'nosuch', src]).status).to.equal(1);
    expect(readCommit(openRepo(repo), 'os/stable').checksum).to.equal(before);
  });

  it('two cfskit commit processes on one branch both succeed, one after the other; fsck clean', async () => {
    const run = (subject: string) =>
      new Promise<number>((resolve) => {
        const p = cfskitSpawn(['commit', '--repo', repo, '-b', 'race', '-s', subject, src], { stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run('left'), run('right')])).to.deep.equal([0, 0]);
    const log = runPeer('ostree', ['log', `--repo=${repo}`, 'race']).stdout;
    expect([...log.matchAll(/^ {4}(left|right)$/gm)].map((m) => m[1]).sort()).to.deep.equal(['left', 'right']);
    expect(runPeer('ostree', ['fsck', `--repo=${repo}`]).status).to.equal(0);
  });

  it('the stored image mounts over cfs/objects and shows the committed files', function () {
    needMount(this);
    const p = cfsPaths(openRepo(repo));
    const digest = lookup(readCommit(openRepo(repo), 'os/stable').commit.metadata, 'cfskit.image')!.value as string;
    const lower = join(dir, 'lower');
    const mnt = join(dir, 'mnt');
    mkdirSync(lower);
    mkdirSync(mnt);
    const unmountErofs = mountErofs(join(p.images, digest), lower);
    try {
      const unmount = mountComposefsOverlay(lower, p.objects, mnt);
      try {
        expect(readFileSync(join(mnt, 'usr/data.bin')).equals(Buffer.alloc(5000, 'd'))).to.equal(true);
        expect(readFileSync(join(mnt, 'usr/small'), 'utf8')).to.equal('small');
        expect(existsSync(join(mnt, 'usr/lib/modules/6.1.0-9-amd64/vmlinuz'))).to.equal(true);
      } finally {
        unmount();
      }
    } finally {
      unmountErofs();
    }
  });
});
