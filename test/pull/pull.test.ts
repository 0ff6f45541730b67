/**
 * Publish → pull → deploy → upgrade over a real nginx: a cfskit archive repo served as a static
 * directory, `cfskit pull` into a fresh sysroot's repo, `admin deploy REMOTE:REF`, `admin
 * verify`; v2 on the server with 1% of the files changed, `admin upgrade`: only the changed
 * objects cross the wire (nginx's access log), /etc merged. Real ostree reads our remotes and
 * summary and pulls the stub commits.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printVariant } from '../../src/formats/gvariant-text.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { makeSysroot, STATEROOT } from '../sysroot/deploy/fixture.js';
import { Nginx, NGINX } from './nginx.js';
import { cli, imageObjects, osVersion, publish } from './fixture.js';

const FILES = 200;

describe('cfskit pull over nginx: publish, pull, deploy, upgrade', function () {
  this.timeout(300_000);
  let dir: string;
  let server: string;
  let nginx: Nginx;
  let sysroot: string;
  let repo: string;
  let v1: string;
  before(async function () {
    needCommand(this, NGINX);
    needCommand(this, 'ostree');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-pull-'));
    server = join(dir, 'server');
    cli('init', `--repo=${server}`, '--mode=archive').ok();
    writeFileSync(join(server, 'config'), `${readFileSync(join(server, 'config'), 'utf8')}auto-update-summary=true\n`);
    v1 = publish(server, dir, '1.0', osVersion('1.0', FILES));
    nginx = new Nginx(server, join(dir, 'nginx'));
    await nginx.start();
    sysroot = join(dir, 'sysroot');
    makeSysroot(sysroot);
    repo = join(sysroot, 'ostree/repo');
  });
  after(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes remotes as ostree does: real ostree remote list -u and config get read them', () => {
    cli('remote', 'add', `--repo=${repo}`, '--no-sign-verify', '--set=tls-permissive=false', 'origin', nginx.url, 'os/main').ok();
    expect(cli('remote', 'add', `--repo=${repo}`, 'origin', nginx.url).stderr).to.equal('cfskit remote: Remote configuration for "origin" already exists: (in config)\n');
    cli('remote', 'add', `--repo=${repo}`, '--if-not-exists', 'origin', nginx.url).ok();
    cli('remote', 'add', `--repo=${repo}`, 'spare', 'https://example.invalid/repo').ok();
    expect(runPeer('ostree', ['remote', 'list', '-u', `--repo=${repo}`]).stdout).to.equal(`origin  ${nginx.url}\nspare   https://example.invalid/repo\n`);
    expect(cli('remote', 'list', '-u', `--repo=${repo}`).ok().stdout).to.equal(`origin  ${nginx.url}\nspare   https://example.invalid/repo\n`);
    expect(runPeer('ostree', ['config', 'get', `--repo=${repo}`, 'remote "origin".url']).stdout).to.equal(`${nginx.url}\n`);
    expect(JSON.parse(cli('remote', 'list', '--json', `--repo=${repo}`).ok().stdout)).to.deep.equal({ origin: nginx.url, spare: 'https://example.invalid/repo' });
    expect(cli('remote', 'list', '--if-exists', `--repo=${repo}`).stderr).to.equal('cfskit remote: --if-exists does not apply to list\n');
    expect(runPeer('ostree', ['config', 'get', `--repo=${repo}`, 'remote "origin".branches']).stdout).to.equal('os/main;\n');
    expect(runPeer('ostree', ['config', 'get', `--repo=${repo}`, 'remote "origin".sign-verify']).stdout).to.equal('false\n');
    cli('remote', 'delete', `--repo=${repo}`, 'spare').ok();
    expect(runPeer('ostree', ['remote', 'list', `--repo=${repo}`]).stdout).to.equal('origin\n');
    expect(cli('remote', 'delete', `--repo=${repo}`, 'spare').stderr).to.equal('cfskit remote: Remote "spare" not found\n');
    expect(cli('remote', 'refs', `--repo=${repo}`, 'origin').ok().stdout).to.equal('origin:os/main\n');
  });

  it('publishes a summary real ostree reads', () => {
    const r = runPeer('ostree', ['summary', '--view', `--repo=${server}`]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`* os/main\n    Latest Commit (`).and.contain(v1).and.contain('Version (ostree.commit.version): 1.0');
  });

  it('pulls into a fresh sysroot, deploys REMOTE:REF, verifies', () => {
    const dry = cli('pull', `--repo=${repo}`, '--dry-run', 'origin').ok();
    expect(dry.stdout).to.match(/^Would fetch 1 commits, \d+ objects, \d+ bytes\n/);
    expect(cli('refs', `--repo=${repo}`).ok().stdout).to.equal('');
    nginx.clearLog();
    const r = cli('pull', `--repo=${repo}`, 'origin').ok();
    expect(r.stdout).to.contain(`origin:os/main: ${v1}\n`);
    expect(r.stderr).to.equal(''); // piped: no progress
    const got = nginx.requests().filter((q) => q.path.startsWith('/cfs/objects/'));
    const image = join(server, 'cfs/images', imageOf(server, v1));
    expect(got.length).to.equal(imageObjects(image).size + 1);
    expect(cli('fsck', `--repo=${repo}`).ok().stdout).to.equal('no problems found\n');
    const d = cli('admin', 'deploy', `--sysroot=${sysroot}`, `--os=${STATEROOT}`, 'origin:os/main').ok();
    expect(d.stdout).to.contain('Deployed ');
    expect(cli('admin', 'verify', `--sysroot=${sysroot}`).status).to.equal(0);
    expect(readFileSync(originFile(), 'utf8')).to.equal('[origin]\nrefspec=origin:os/main\n');
  });

  it('a second pull fetches nothing; upgrade says No update available', () => {
    nginx.clearLog();
    cli('pull', `--repo=${repo}`, 'origin').ok();
    expect(nginx.requests().filter((q) => q.path.startsWith('/cfs/'))).to.deep.equal([]);
    expect(cli('admin', 'upgrade', `--sysroot=${sysroot}`).ok().stdout).to.equal('No update available.\n');
  });

  it('upgrade after v2 (1% of files changed) fetches only the changed objects and merges /etc', () => {
    const dep = deploymentDir();
    writeFileSync(join(dep, 'etc/hostname'), 'mine\n');
    const changed = [3, 77]; // 2 of 200 files
    const v2 = publish(server, dir, '2.0', osVersion('2.0', FILES, changed));
    const before = imageObjects(join(server, 'cfs/images', imageOf(server, v1)));
    const after = imageObjects(join(server, 'cfs/images', imageOf(server, v2)));
    const fresh = [...after].filter((h) => !before.has(h));
    const delta = cli('static-delta', 'generate', `--repo=${server}`, '--to=os/main').ok().stdout;
    expect(delta).to.match(new RegExp(`^cfs/deltas/${imageOf(server, v1)}-${imageOf(server, v2)} \\(\\d+ bytes\\)\n$`));
    nginx.clearLog();
    const r = cli('admin', 'upgrade', `--sysroot=${sysroot}`).ok();
    expect(r.stdout).to.match(/Copying \/etc changes: 1 modified, 0 removed, 0 added\nDeployed /);
    const objects = nginx.requests().filter((q) => q.path.startsWith('/cfs/objects/')).map((q) => q.path.slice('/cfs/objects/'.length).replace('/', ''));
    // exactly the objects v2's image has that v1's had not (changed files, os-release, motd,
    // hello); the image itself comes as the delta from v1's
    expect(objects.sort()).to.deep.equal(fresh.sort());
    expect(nginx.requests().filter((q) => q.path.startsWith('/cfs/deltas/'))).to.deep.equal([{ path: `/${delta.split(' ')[0]}`, status: 200 }]);
    expect(fresh.length).to.be.greaterThan(changed.length - 1).and.lessThan(changed.length + 5);
    const now = deploymentDir();
    expect(now).to.not.equal(dep);
    expect(readFileSync(join(now, 'etc/hostname'), 'utf8')).to.equal('mine\n');
    expect(readFileSync(join(now, 'etc/motd'), 'utf8')).to.equal('Welcome to version 2.0\n');
    expect(cli('admin', 'verify', `--sysroot=${sysroot}`).status).to.equal(0);
    expect(cli('fsck', `--repo=${repo}`).ok().stdout).to.equal('no problems found\n');
    expect(cli('admin', 'upgrade', `--sysroot=${sysroot}`).ok().stdout).to.equal('No update available.\n');
  });

  it('upgrade --pull-only fetches without deploying, --deploy-only deploys what is pulled; switch follows another ref', () => {
    const before = deploymentDir();
    const v3 = publish(server, dir, '3.0', osVersion('3.0', FILES, [5]));
    expect(runPeer('ostree', ['summary', '--view', `--repo=${server}`]).stdout).to.contain(v3); // auto-update-summary
    expect(cli('admin', 'upgrade', `--sysroot=${sysroot}`, '--pull-only').ok().stdout).to.equal(`Pulled ${v3}\n`);
    expect(deploymentDir()).to.equal(before);
    nginx.clearLog();
    expect(cli('admin', 'upgrade', `--sysroot=${sysroot}`, '--deploy-only').ok().stdout).to.contain('Deployed ');
    expect(nginx.requests()).to.deep.equal([]);
    expect(deploymentDir()).to.contain(v3);
    const other = publish(server, dir, 'other', osVersion('other', FILES), '-b', 'os/other');
    expect(cli('admin', 'switch', `--sysroot=${sysroot}`, 'os/other').ok().stdout).to.contain('Deployed ');
    expect(deploymentDir()).to.contain(other);
    expect(readFileSync(originFile(), 'utf8')).to.equal('[origin]\nrefspec=origin:os/other\n');
    expect(cli('admin', 'switch', `--sysroot=${sysroot}`, 'origin:os/main').ok().stdout).to.contain('Deployed ');
    expect(deploymentDir()).to.contain(v3);
    expect(cli('admin', 'verify', `--sysroot=${sysroot}`).status).to.equal(0);
  });

  it('--mirror writes refs/heads, --depth pulls history', () => {
    const mirror = join(dir, 'mirror');
    cli('init', `--repo=${mirror}`, '--mode=archive').ok();
    cli('remote', 'add', `--repo=${mirror}`, '--no-gpg-verify', 'origin', nginx.url).ok();
    cli('pull', `--repo=${mirror}`, '--mirror', '--depth=1', 'origin', 'os/main').ok();
    expect(cli('refs', `--repo=${mirror}`).ok().stdout).to.equal('os/main\n');
    const log = (repo: string) => cli('log', `--repo=${repo}`, 'os/main').stdout.match(/^commit /gm)?.length;
    expect(log(mirror)).to.equal(2);
    cli('pull', `--repo=${mirror}`, '--mirror', '--depth=-1', 'origin:os/main').ok();
    expect(log(mirror)).to.equal(3);
    expect(cli('fsck', `--repo=${mirror}`).ok().stdout).to.equal('no problems found\n');
    // without refs or branches= the summary lists what to pull
    cli('pull', `--repo=${mirror}`, '--mirror', 'origin').ok();
    expect(cli('refs', `--repo=${mirror}`).ok().stdout).to.equal('os/main\nos/other\n');
  });

  it('real ostree pulls the stub commits and prints the composefs digest', () => {
    const client = join(dir, 'ostree-client');
    runPeer('ostree', ['init', `--repo=${client}`, '--mode=archive']);
    runPeer('ostree', ['remote', 'add', `--repo=${client}`, '--no-gpg-verify', 'origin', nginx.url]);
    const p = runPeer('ostree', ['pull', `--repo=${client}`, 'origin', 'os/main']);
    expect(p.status, p.stderr).to.equal(0);
    const head = readFileSync(join(server, 'refs/heads/os/main'), 'utf8').trim();
    const s = runPeer('ostree', ['show', `--repo=${client}`, '--print-metadata-key=ostree.composefs.digest.v0', head]);
    expect(s.status, s.stderr).to.equal(0);
    const hex = imageOf(server, head);
    // GLib prints an ay as [byte 0x..] or, when it ends in its only NUL, as b'...'.
    expect(s.stdout.trim()).to.equal(printVariant('ay', new Uint8Array(Buffer.from(hex, 'hex'))));
  });

  it('refuses a container-image-reference that is not docker:// with one line', () => {
    const file = originFile();
    const saved = readFileSync(file, 'utf8');
    writeFileSync(file, '[origin]\ncontainer-image-reference=ostree-unverified-registry:example.com/os:latest\n');
    try {
      const r = cli('admin', 'upgrade', `--sysroot=${sysroot}`);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/^cfskit admin: .*\.origin: origin\.container-image-reference: 'ostree-unverified-registry:example\.com\/os:latest' is not a docker:\/\/HOST\/NAME\[:TAG\|@DIGEST\] reference\n$/);
    } finally {
      writeFileSync(file, saved);
    }
  });

  function imageOf(repoPath: string, commit: string): string {
    const r = runPeer('ostree', ['show', `--repo=${repoPath}`, '--print-metadata-key=cfskit.image', commit]);
    return r.stdout.trim().replace(/'/g, '');
  }
  function deploymentDir(): string {
    const [d] = JSON.parse(cli('admin', 'status', '--json', `--sysroot=${sysroot}`).ok().stdout) as { checksum: string; deployserial: number }[];
    return join(sysroot, 'ostree/deploy', STATEROOT, 'deploy', `${d.checksum}.${d.deployserial}`);
  }
  function originFile(): string {
    return `${deploymentDir()}.origin`;
  }
});
