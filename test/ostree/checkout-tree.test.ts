/**
 * Conversion of real `ostree commit` trees (issue 5 item 5): for each repo mode, the image built
 * from the converted commit must equal the image built from a dumpfile this test writes from the
 * source directory itself (fs-verity digests computed here, mount points added as ostree does).
 */
import { expect } from 'chai';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { needCommand, runPeer } from '../helpers/peers.js';
import { CfsError } from '../../src/errors.js';
import { buildImage } from '../../src/composefs/index.js';
import { digestBytes } from '../../src/fsverity/index.js';
import { ObjectStore } from '../../src/store/objects.js';
import { openRepo, initRepo } from '../../src/ostree/repo.js';
import { checkoutTree, ROOT_MOUNT_POINTS } from '../../src/ostree/checkout-tree.js';
import { encode } from '../../src/formats/gvariant.js';
import { encodeDirMeta, encodeDirTree, encodeCommit } from '../../src/ostree/formats.js';
import { objectPath, writeMetadata } from '../../src/ostree/objects.js';
import { writeRef } from '../../src/ostree/refs.js';

const MODES = ['bare', 'bare-user', 'bare-user-only', 'archive'] as const;
const enc = new TextEncoder();

/** Files only with bytes that need no dumpfile escaping, so the expected dump is plain text. */
function makeSource(dir: string): void {
  mkdirSync(join(dir, 'usr/lib/modules/6.1.0'), { recursive: true });
  mkdirSync(join(dir, 'usr/etc'), { recursive: true });
  mkdirSync(join(dir, 'private'), { mode: 0o700 });
  chmodSync(join(dir, 'private'), 0o700);
  writeFileSync(join(dir, 'usr/etc/motd'), 'hello');
  writeFileSync(join(dir, 'usr/lib/modules/6.1.0/vmlinuz'), Buffer.alloc(10000, 'k'));
  writeFileSync(join(dir, 'usr/empty'), '');
  writeFileSync(join(dir, 'usr/exactly64'), 'x'.repeat(64));
  writeFileSync(join(dir, 'usr/sixtyfive'), 'y'.repeat(65));
  const big = Buffer.alloc(300000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 12)) & 0xff;
  writeFileSync(join(dir, 'usr/big.bin'), big);
  writeFileSync(join(dir, 'private/secret'), 'abc');
  chmodSync(join(dir, 'private/secret'), 0o600);
  writeFileSync(join(dir, 'usr/tool'), 'z'.repeat(200));
  chmodSync(join(dir, 'usr/tool'), 0o755);
  symlinkSync('etc/motd', join(dir, 'usr/motd-link'));
  symlinkSync('/absolute/target', join(dir, 'abs-link'));
}

/** The dumpfile of `dir` as ostree would commit it: root-owned, mtime 0, plus the mount points. */
function expectedDump(dir: string, uid = 0, gid = 0): string {
  const lines: string[] = [];
  const walk = (path: string, rel: string) => {
    const st = lstatSync(path);
    const mode = st.mode.toString(8);
    if (st.isDirectory()) {
      lines.push(`${rel || '/'} 0 ${mode} 1 ${uid} ${gid} 0 0.0 - - -`);
      const names = readdirSync(path).sort();
      if (rel === '') for (const m of ROOT_MOUNT_POINTS) if (!names.includes(m)) lines.push(`/${m} 0 40755 1 0 0 0 0.0 - - -`);
      for (const name of names) walk(join(path, name), `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(path);
      lines.push(`${rel} ${target.length} ${mode} 1 ${uid} ${gid} 0 0.0 ${target} - -`);
    } else {
      const data = readFileSync(path);
      if (data.length === 0) lines.push(`${rel} 0 ${mode} 1 ${uid} ${gid} 0 0.0 - - -`);
      else if (data.length <= 64) lines.push(`${rel} ${data.length} ${mode} 1 ${uid} ${gid} 0 0.0 - ${data.toString()} -`);
      else {
        const { hex } = digestBytes(data);
        lines.push(`${rel} ${data.length} ${mode} 1 ${uid} ${gid} 0 0.0 ${hex.slice(0, 2)}/${hex.slice(2)} - ${hex}`);
      }
    }
  };
  walk(dir, '');
  return `${lines.join('\n')}\n`;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('ostree commit → composefs tree (checkout-tree)', function () {
  let dir: string;
  let src: string;
  before(function () {
    needCommand(this, 'ostree');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-checkout-'));
    src = join(dir, 'src');
    mkdirSync(src);
    makeSource(src);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const mode of MODES) {
    it(`an ostree commit in a ${mode} repo converts to the image of the same tree's dumpfile`, async () => {
      const repoPath = join(dir, `repo-${mode}`);
      expect(runPeer('ostree', ['init', `--repo=${repoPath}`, `--mode=${mode}`]).status).to.equal(0);
      const c = runPeer('ostree', ['commit', `--repo=${repoPath}`, '-b', 'os', `--tree=dir=${src}`, '--owner-uid=0', '--owner-gid=0']);
      expect(c.status, c.stderr).to.equal(0);
      const store = new ObjectStore(join(dir, `store-${mode}`));
      const { root, checksum } = await checkoutTree(openRepo(repoPath), 'os', { store });
      expect(checksum).to.equal(c.stdout.trim());
      const ours = buildImage(root);
      const expected = buildImage(enc.encode(expectedDump(src)));
      expect(sameBytes(ours.image, expected.image), `${mode} image differs`).to.equal(true);
      // The backing files are in the store, named by their fs-verity digest.
      const big = digestBytes(readFileSync(join(src, 'usr/big.bin'))).hex;
      expect(readFileSync(store.pathOf(big)).equals(readFileSync(join(src, 'usr/big.bin')))).to.equal(true);
    });
  }

  it('keeps ownership and setuid bits where the mode stores them (archive, bare, bare-user)', async () => {
    const s = join(dir, 'suid');
    mkdirSync(s);
    writeFileSync(join(s, 'su'), 'w'.repeat(100));
    chmodSync(join(s, 'su'), 0o4755);
    for (const [mode, owner] of [['archive', '1000'], ['bare', '1000'], ['bare-user', '0']] as const) {
      const repoPath = join(dir, `suid-${mode}`);
      runPeer('ostree', ['init', `--repo=${repoPath}`, `--mode=${mode}`]);
      const c = runPeer('ostree', ['commit', `--repo=${repoPath}`, '-b', 'x', `--tree=dir=${s}`, `--owner-uid=${owner}`, `--owner-gid=${owner}`]);
      expect(c.status, c.stderr).to.equal(0);
      const { root } = await checkoutTree(openRepo(repoPath), 'x', { mountPoints: false });
      const su = root.lookup(enc.encode('su'))!;
      expect(su.mode, mode).to.equal(0o104755);
      expect([su.uid, su.gid, root.uid], mode).to.deep.equal([Number(owner), Number(owner), Number(owner)]);
    }
  });

  it('refuses a bare-user object whose owner only the user.ostreemeta xattr knows, naming the object', async () => {
    const repoPath = join(dir, 'bare-user-owned');
    runPeer('ostree', ['init', `--repo=${repoPath}`, '--mode=bare-user']);
    expect(runPeer('ostree', ['commit', `--repo=${repoPath}`, '-b', 'x', `--tree=dir=${src}`, '--owner-uid=1000', '--owner-gid=1000']).status).to.equal(0);
    let caught: unknown;
    try {
      await checkoutTree(openRepo(repoPath), 'x');
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(CfsError);
    expect((caught as CfsError).message).to.match(/content object [0-9a-f]{64}.*user\.ostreemeta/);
  });

  it('reads xattrs from archive headers and dirmeta (objects written here, accepted by ostree fsck)', async () => {
    const repo = initRepo(join(dir, 'xattrs'), 'archive');
    const xattrs: [Uint8Array, Uint8Array][] = [[enc.encode('security.selinux\0'), enc.encode('system_u:object_r:bin_t:s0\0')], [enc.encode('user.a\0'), enc.encode('b')]];
    const content = Buffer.alloc(1000, 'q');
    const header = encode('(uuuusa(ayay))', [0, 0, 0o100644, 0, '', xattrs], 'be');
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(header.length);
    const fileSum = createHash('sha256').update(prefix).update(header).update(content).digest('hex');
    const zheader = encode('(tuuuusa(ayay))', [BigInt(content.length), 0, 0, 0o100644, 0, '', xattrs], 'be');
    const zprefix = Buffer.alloc(8);
    zprefix.writeUInt32BE(zheader.length);
    const path = objectPath(repo, fileSum, 'filez');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, Buffer.concat([zprefix, zheader, deflateRawSync(content, { level: 6 })]));
    const meta = writeMetadata(repo, 'dirmeta', encodeDirMeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [{ name: enc.encode('user.dir'), value: enc.encode('d') }] }));
    const tree = writeMetadata(repo, 'dirtree', encodeDirTree({ files: [{ name: 'f', checksum: fileSum }], dirs: [] }));
    const commit = writeMetadata(repo, 'commit', encodeCommit({ metadata: [], parent: null, related: [], subject: 'x', body: '', timestamp: 0n, rootTree: tree, rootMeta: meta }));
    writeRef(repo, 'x', commit);
    const fsck = runPeer('ostree', ['fsck', `--repo=${repo.path}`]);
    expect(fsck.status, fsck.stdout + fsck.stderr).to.equal(0);
    const { root } = await checkoutTree(repo, 'x', { mountPoints: false });
    const f = root.lookup(enc.encode('f'))!;
    expect(f.xattrs.map((x) => Buffer.from(x.key).toString())).to.have.members(['security.selinux', 'user.a']);
    expect(root.xattrs.map((x) => [Buffer.from(x.key).toString(), Buffer.from(x.value).toString()])).to.deep.equal([['user.dir', 'd']]);
    // A flipped byte in the compressed content is caught by the content checksum.
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] ^= 1;
    writeFileSync(path, bytes);
    let caught: unknown;
    try {
      await checkoutTree(repo, 'x');
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(CfsError);
  });
});
