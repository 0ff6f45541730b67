/**
 * Signatures and tampering: ed25519 signatures in ostree's layout, checked by openssl; a served
 * repo with a flipped byte in an object, the image, the commit or its commitmeta, a wrong ref, a
 * signature by another key, or no signature where the remote wants one: each pull is refused
 * with one line, no ref moves, and `cfskit fsck` stays clean. A corrupt image delta is passed
 * over for the whole image.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../../src/io/temp-name.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { decodeDetached } from '../../src/sign/commitmeta.js';
import { Nginx, NGINX } from './nginx.js';
import { cli, imageObjects, keyPair, osVersion, publish } from './fixture.js';

describe('cfskit sign and pull refusals over nginx', function () {
  this.timeout(300_000);
  let dir: string;
  let server: string;
  let nginx: Nginx;
  let client: string;
  let commit: string;
  let image: string;
  const key = keyPair();
  const other = keyPair();
  const served = (rel: string) => join(server, rel);
  const commitRel = () => `objects/${commit.slice(0, 2)}/${commit.slice(2)}`;

  before(async function () {
    needCommand(this, NGINX);
    needCommand(this, 'openssl');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-tamper-'));
    server = join(dir, 'server');
    cli('init', `--repo=${server}`, '--mode=archive').ok();
    commit = publish(server, dir, '1.0', osVersion('1.0', 20), `--sign=${key.secret}`);
    publish(server, dir, 'other', osVersion('other', 20), '-b', 'os/other', `--sign=${key.secret}`);
    image = cli('show', `--repo=${server}`, '--print-metadata-key=cfskit.image', commit).ok().stdout.trim().replace(/'/g, '');
    nginx = new Nginx(server, join(dir, 'nginx'));
    await nginx.start();
    client = join(dir, 'client');
    cli('init', `--repo=${client}`, '--mode=bare-user-only').ok();
    cli('remote', 'add', `--repo=${client}`, `--sign-verify=ed25519=inline:${key.public}`, 'origin', nginx.url, 'os/main').ok();
  });
  after(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in ostree\'s layout: 64-byte ed25519 signatures (aay) over the commit bytes, openssl agrees', () => {
    const meta = decodeDetached(readFileSync(served(`${commitRel()}.commitmeta`)));
    expect(meta.map(([k]) => k)).to.deep.equal(['ostree.sign.ed25519']);
    const [sig] = meta[0][1].value as Uint8Array[];
    expect(sig.length).to.equal(64);
    const pem = join(dir, 'pub.pem');
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key.public, 'base64')]);
    writeFileSync(pem, `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`);
    writeFileSync(join(dir, 'sig'), sig);
    const r = runPeer('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pem, '-rawin', '-in', served(`${commitRel()}.commit`), '-sigfile', join(dir, 'sig')]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Signature Verified Successfully');
    expect(cli('sign', '--verify', `--repo=${server}`, commit, key.public).ok().stdout).to.equal(`ed25519: Signature verified successfully with key '${key.public}'\n`);
    const bad = cli('sign', '--verify', `--repo=${server}`, commit, other.public);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/^cfskit sign: ostree\.sign\.ed25519: ed25519: no signature of commit [0-9a-f]{64} verifies with the 1 trusted key\(s\)\n$/);
    // cfskit sign adds a second signature; a keys file of public keys verifies either
    const keys = join(dir, 'keys');
    writeFileSync(join(dir, 'secret'), `${other.secret}\n`);
    cli('sign', `--repo=${server}`, `--keys-file=${join(dir, 'secret')}`, 'os/other').ok();
    writeFileSync(keys, `# trusted\n${other.public}\n`);
    cli('sign', '--verify', `--repo=${server}`, `--keys-file=${keys}`, 'os/other').ok();
    expect(cli('sign', `--repo=${server}`, commit, 'AAAA').stderr).to.equal('cfskit sign: secret key: an ed25519 secret key must be 64 bytes of base64\n');
  });

  const cases: [string, () => () => void, RegExp][] = [
    ['a flipped byte in a served object', () => flip(objectRel()), /fs-verity digest [0-9a-f]{64}, expected [0-9a-f]{64}$/],
    ['a flipped byte in the image', () => flip(`cfs/objects/${image.slice(0, 2)}/${image.slice(2)}`), /image has fs-verity digest [0-9a-f]{64}, expected/],
    ['a flipped byte in the commit', () => flip(`${commitRel()}.commit`), /commit content has SHA-256 [0-9a-f]{64}, expected/],
    ['a flipped byte in the commitmeta', () => flip(`${commitRel()}.commitmeta`, 30), /no signature of commit [0-9a-f]{64} verifies/],
    ['a wrong ref', () => replace('refs/heads/os/main', readFileSync(served('refs/heads/os/other'))), /is bound to ref\(s\) 'os\/other', not 'os\/main'$/],
    ['a signature by another key', () => replace(`${commitRel()}.commitmeta`, signedBy(other.secret)), /no signature of commit [0-9a-f]{64} verifies/],
    ['an unsigned commit where the remote wants one', () => remove(`${commitRel()}.commitmeta`), /commit [0-9a-f]{64} has no ed25519 signature$/],
  ];
  for (const [name, tamper, message] of cases) {
    it(`refuses ${name}: one line, no ref, fsck clean`, () => {
      const restore = tamper();
      try {
        const r = cli('pull', `--repo=${client}`, 'origin');
        expect(r.status).to.equal(1);
        expect(r.stderr.split('\n')).to.have.length(2);
        expect(r.stderr).to.match(/^cfskit pull: /).and.match(new RegExp(message.source.replace(/\$$/, '\\n$')));
        expect(cli('refs', `--repo=${client}`).ok().stdout).to.equal('');
        expect(cli('fsck', `--repo=${client}`).ok().stdout).to.equal('no problems found\n');
        expect(leftovers()).to.deep.equal([]);
      } finally {
        restore();
      }
    });
  }

  it('pulls once the served repo is whole again', () => {
    cli('pull', `--repo=${client}`, 'origin').ok();
    expect(cli('refs', `--repo=${client}`).ok().stdout).to.equal('origin:os/main\n');
    expect(cli('fsck', `--repo=${client}`).ok().stdout).to.equal('no problems found\n');
    cli('sign', '--verify', `--repo=${client}`, 'origin:os/main', key.public).ok();
    // trusted keys from a file (verification-ed25519-file): only the other key → refused
    const keys = join(dir, 'trusted');
    writeFileSync(keys, `${other.public}\n`);
    const second = join(dir, 'client-file');
    cli('init', `--repo=${second}`, '--mode=bare-user-only').ok();
    cli('remote', 'add', `--repo=${second}`, `--sign-verify=ed25519=file:${keys}`, 'origin', nginx.url, 'os/main').ok();
    expect(cli('pull', `--repo=${second}`, 'origin').stderr).to.match(/no signature of commit [0-9a-f]{64} verifies with the 1 trusted key/);
    writeFileSync(keys, `${other.public}\n${key.public}\n`);
    cli('pull', `--repo=${second}`, 'origin').ok();
  });

  it('passes over a corrupt image delta: the whole image is fetched, verified and stored', () => {
    const v2 = publish(server, dir, '2.0', osVersion('2.0', 20, [4]), `--sign=${key.secret}`);
    const image2 = cli('show', `--repo=${server}`, '--print-metadata-key=cfskit.image', v2).ok().stdout.trim().replace(/'/g, '');
    const delta = cli('static-delta', 'generate', `--repo=${server}`, '--to=os/main').ok().stdout.split(' ')[0];
    expect(delta).to.equal(`cfs/deltas/${image}-${image2}`);
    const restore = flip(delta, -20); // inside the gzip data: a bad CRC or other bytes
    try {
      nginx.clearLog();
      const r = cli('pull', `--repo=${client}`, 'origin').ok();
      expect(r.stdout).to.contain(`origin:os/main: ${v2}\n`);
      const paths = nginx.requests().map((q) => `${q.path} ${q.status}`);
      expect(paths).to.include.members([`/${delta} 200`, `/cfs/objects/${image2.slice(0, 2)}/${image2.slice(2)} 200`]);
      expect(cli('fsck', `--repo=${client}`).ok().stdout).to.equal('no problems found\n');
    } finally {
      restore();
    }
  });

  function objectRel(): string {
    const hex = [...imageObjects(served(`cfs/images/${image}`))].sort()[0];
    return `cfs/objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
  }
  function flip(rel: string, at = 40): () => void {
    const data = readFileSync(served(rel));
    const changed = Buffer.from(data);
    changed[(at + data.length) % data.length] ^= 1;
    return replace(rel, changed);
  }
  function replace(rel: string, data: Uint8Array): () => void {
    const saved = join(dir, 'saved');
    copyFileSync(served(rel), saved);
    writeFileSync(served(rel), data);
    return () => copyFileSync(saved, served(rel));
  }
  function remove(rel: string): () => void {
    const saved = join(dir, 'saved');
    copyFileSync(served(rel), saved);
    rmSync(served(rel));
    return () => copyFileSync(saved, served(rel));
  }
  function signedBy(secret: string): Uint8Array {
    const copy = join(dir, 'resign');
    rmSync(copy, { recursive: true, force: true });
    cli('init', `--repo=${copy}`, '--mode=archive').ok();
    const rel = commitRel();
    writeFileSync(join(dir, 'c'), readFileSync(served(`${rel}.commit`)));
    runPeer('sh', ['-c', `mkdir -p ${copy}/objects/${commit.slice(0, 2)} && cp ${served(`${rel}.commit`)} ${copy}/${rel}.commit`]);
    cli('sign', `--repo=${copy}`, commit, secret).ok();
    return readFileSync(join(copy, `${rel}.commitmeta`));
  }
  function leftovers(): string[] {
    const objects = join(client, 'cfs/objects');
    const out: string[] = [];
    for (const d of readdirSafe(objects)) for (const n of [d, ...readdirSafe(join(objects, d)).map((x) => `${d}/${x}`)]) if (n.split('/').pop()!.startsWith(TEMP_PREFIX)) out.push(n);
    return out;
  }
});

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
