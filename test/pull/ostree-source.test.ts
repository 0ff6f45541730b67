/**
 * Pull of an ordinary ostree commit: a tree committed by real `ostree commit` into an archive
 * repo, served by nginx, pulled by cfskit and converted into an image + stub commit. The image
 * equals the local `--from-ostree-commit` conversion's, each content object crosses the wire
 * once, and a re-run fetches nothing.
 */
import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { writeTree } from '../sysroot/deploy/fixture.js';
import { Nginx, NGINX } from './nginx.js';
import { cli, osVersion } from './fixture.js';

describe('cfskit pull of an ordinary ostree commit over nginx', function () {
  this.timeout(300_000);
  let dir: string;
  let server: string;
  let nginx: Nginx;
  let head: string;
  before(async function () {
    needCommand(this, NGINX);
    needCommand(this, 'ostree');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-pull-ostree-'));
    server = join(dir, 'server');
    const tree = join(dir, 'tree');
    writeTree(tree, osVersion('1.0', 60, [], { 'usr/bin/link': ['symlink', 'hello'] }));
    runPeer('ostree', ['init', `--repo=${server}`, '--mode=archive']);
    const c = runPeer('ostree', ['commit', `--repo=${server}`, '-b', 'os/main', '--owner-uid=0', '--owner-gid=0', '-s', 'v1', '--add-metadata-string=version=1.0', `--tree=dir=${tree}`]);
    expect(c.status, c.stderr).to.equal(0);
    head = c.stdout.trim();
    nginx = new Nginx(server, join(dir, 'nginx'));
    await nginx.start();
  });
  after(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('converts it as the local --from-ostree-commit does, each content object fetched once', () => {
    const client = join(dir, 'client');
    cli('init', `--repo=${client}`, '--mode=bare-user-only').ok();
    cli('remote', 'add', `--repo=${client}`, '--no-gpg-verify', 'origin', nginx.url, 'os/main').ok();
    nginx.clearLog();
    cli('pull', `--repo=${client}`, 'origin').ok();
    const filez = nginx.requests().filter((q) => q.path.endsWith('.filez')).map((q) => q.path);
    const served = readdirSync(join(server, 'objects'), { recursive: true }).filter((n) => String(n).endsWith('.filez'));
    expect(filez.length).to.equal(served.length);
    expect(new Set(filez).size).to.equal(filez.length);
    const pulled = metadata(client, 'origin:os/main');
    expect(pulled['cfskit.ostree-commit']).to.equal(head);
    expect(pulled.version).to.equal('1.0');
    expect(cli('fsck', `--repo=${client}`).ok().stdout).to.equal('no problems found\n');

    const local = join(dir, 'local');
    cpSync(server, local, { recursive: true });
    cli('commit', `--repo=${local}`, '-b', 'conv', '--from-ostree-commit=os/main').ok();
    expect(pulled['cfskit.image']).to.equal(metadata(local, 'conv')['cfskit.image']);
    expect(readdirSync(join(client, 'tmp')).filter((n) => n.startsWith('pull-ostree-'))).to.deep.equal([]);

    nginx.clearLog();
    const again = cli('pull', `--repo=${client}`, 'origin').ok();
    expect(nginx.requests().filter((q) => q.path.endsWith('.filez'))).to.deep.equal([]);
    expect(again.stdout).to.not.contain('origin:os/main:');
  });

  function metadata(repo: string, rev: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of ['cfskit.image', 'cfskit.ostree-commit', 'version']) {
      const r = cli('show', `--repo=${repo}`, `--print-metadata-key=${key}`, rev);
      if (r.status === 0) out[key] = r.stdout.trim().replace(/^'|'$/g, '');
    }
    return out;
  }
});
