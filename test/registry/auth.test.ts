/**
 * Registry auth against real parts: docker-registry with htpasswd (Basic), and the test proxy's
 * Bearer token flow (anonymous and with credentials); credentials from --creds and auth files in
 * containers' order. A refusal is one line, caches nothing and never shows the secret.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../src/composefs/index.js';
import type { RegistryOptions } from '../../src/composefs/sources/index.js';
import { loadSource } from '../../src/registry/source.js';
import { CfsError } from '../../src/errors.js';
import { authFiles, findCredentials } from '../../src/registry/auth.js';
import { osFiles } from '../sysroot/deploy/fixture.js';
import { needCommand } from '../helpers/peers.js';
import { type Proxy, type Registry, cfskit, layoutOf, skopeoPush, startProxy, startRegistry, tarOfFiles } from './harness.js';

const SECRET = 's3cret-Pa55';
const auth = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

describe('registry: auth', function () {
  // CLI children and real servers on a shared 2-core machine
  this.timeout(300_000);
  let work: string;
  let basic: Registry;
  let plain: Registry;
  let bearer: Proxy;
  let layout: string;
  let expected: Buffer;
  let n = 0;

  const image = async (ref: string, registry: RegistryOptions): Promise<Buffer> =>
    Buffer.from(buildImage(await loadSource({ kind: 'oci', paths: [ref], options: { registry } })).image);
  async function refused(ref: string, registry: RegistryOptions): Promise<CfsError> {
    const cacheDir = join(work, `cache-${n++}`);
    try {
      await image(ref, { ...registry, cacheDir });
    } catch (e) {
      expect(e).to.be.instanceOf(CfsError);
      const msg = (e as Error).message;
      expect(msg).to.not.include('\n');
      expect(msg).to.not.include(SECRET);
      expect(readdirSync(join(cacheDir, 'blobs', 'sha256'))).to.deep.equal([]);
      expect(existsSync(join(cacheDir, 'tmp')) ? readdirSync(join(cacheDir, 'tmp')) : []).to.deep.equal([]);
      return e as CfsError;
    }
    throw new Error('expected a refusal');
  }

  before(async function () {
    needCommand(this, 'docker-registry');
    needCommand(this, 'skopeo');
    needCommand(this, 'htpasswd');
    work = mkdtempSync(join(tmpdir(), 'cfskit-regauth-'));
    basic = await startRegistry(join(work, 'basic'), { alice: SECRET });
    plain = await startRegistry(join(work, 'plain'));
    bearer = await startProxy(plain.port, { bearer: { users: { bob: SECRET } } });
    layout = layoutOf(join(work, 'layout'), [tarOfFiles(work, 'base', osFiles('1'))], 'gzip');
    skopeoPush(layout, `docker://${basic.host}/os:1`, [], `alice:${SECRET}`);
    skopeoPush(layout, `docker://${plain.host}/os:1`);
    expected = await image(layout, {});
  });
  after(async () => {
    await bearer?.stop();
    await basic?.stop();
    await plain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('Basic: --creds works; no credentials, or wrong ones (401), are refused', async () => {
    const ref = `docker://${basic.host}/os:1`;
    expect((await image(ref, { tlsVerify: false, creds: `alice:${SECRET}` })).equals(expected)).to.equal(true);
    expect((await refused(ref, { tlsVerify: false, authfile: join(work, 'none.json'), retries: 0 })).message).to.match(/cannot read auth file: ENOENT/);
    const noCreds = await refused(ref, { tlsVerify: false, authfile: writeAuth('empty.json', {}) });
    expect(noCreds.message).to.equal(`docker://${basic.host}/os:1: auth: the registry requires credentials (HTTP 401); give --creds or an auth file`);
    const wrong = await refused(ref, { tlsVerify: false, creds: 'alice:wrong' });
    expect(wrong.code).to.equal('EAUTH');
    expect(wrong.message).to.match(/access denied \(HTTP 401\): wrong credentials$/);
  });

  it('Basic: credentials from an auth file (auths.HOST.auth)', async () => {
    const file = writeAuth('auth.json', { auths: { [basic.host]: { auth: auth('alice', SECRET) } } });
    expect((await image(`docker://${basic.host}/os:1`, { tlsVerify: false, authfile: file })).equals(expected)).to.equal(true);
  });

  it('Bearer: a token with credentials; wrong credentials are refused by the token service', async () => {
    const ref = `docker://${bearer.host}/os:1`;
    bearer.log.length = 0;
    expect((await image(ref, { tlsVerify: false, creds: `bob:${SECRET}` })).equals(expected)).to.equal(true);
    expect(bearer.log.filter((l) => l.startsWith('GET /token'))).to.deep.equal([`GET /token?service=cfskit-test&scope=repository%3Aos%3Apull`]);
    const wrong = await refused(ref, { tlsVerify: false, creds: 'bob:nope' });
    expect(wrong.message).to.equal(`docker://${bearer.host}/os:1: auth: the token service refused the credentials (HTTP 401)`);
  });

  it('Bearer: an anonymous token', async () => {
    bearer.rules = { bearer: {} };
    try {
      expect((await image(`docker://${bearer.host}/os:1`, { tlsVerify: false })).equals(expected)).to.equal(true);
    } finally {
      bearer.rules = { bearer: { users: { bob: SECRET } } };
    }
  });

  it('auth files are consulted in containers order; --authfile alone when given', () => {
    const home = join(work, 'home');
    const xdg = join(work, 'xdg');
    mkdirSync(join(home, '.docker'), { recursive: true });
    mkdirSync(join(xdg, 'containers'), { recursive: true });
    const env = { REGISTRY_AUTH_FILE: join(work, 'env.json'), XDG_RUNTIME_DIR: xdg };
    expect(authFiles({ env, home })).to.deep.equal([env.REGISTRY_AUTH_FILE, join(xdg, 'containers', 'auth.json'), join(home, '.docker', 'config.json')]);
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://reg.example:5000/v1/': { auth: auth('docker', 'd') } } }));
    expect(findCredentials('reg.example:5000', 'os', { env, home })).to.deep.equal({ username: 'docker', password: 'd' });
    writeFileSync(join(xdg, 'containers', 'auth.json'), JSON.stringify({ auths: { 'reg.example:5000': { auth: auth('xdg', 'x') }, 'reg.example:5000/team/os': { auth: auth('team', 't') } } }));
    expect(findCredentials('reg.example:5000', 'os', { env, home })).to.deep.equal({ username: 'xdg', password: 'x' });
    expect(findCredentials('reg.example:5000', 'team/os', { env, home })).to.deep.equal({ username: 'team', password: 't' });
    writeFileSync(env.REGISTRY_AUTH_FILE, JSON.stringify({ auths: { 'reg.example:5000': { auth: auth('env', 'e:with:colons') } } }));
    expect(findCredentials('reg.example:5000', 'os', { env, home })).to.deep.equal({ username: 'env', password: 'e:with:colons' });
    expect(findCredentials('other.example', 'os', { env, home })).to.equal(null);
    expect(findCredentials('reg.example:5000', 'os', { env, home, authfile: join(home, '.docker', 'config.json') })).to.deep.equal({ username: 'docker', password: 'd' });
    expect(findCredentials('reg.example:5000', 'os', { env, home, creds: 'cli:c' })).to.deep.equal({ username: 'cli', password: 'c' });
    writeFileSync(env.REGISTRY_AUTH_FILE, JSON.stringify({ auths: { 'reg.example:5000': { auth: '!!' } } }));
    expect(() => findCredentials('reg.example:5000', 'os', { env, home })).to.throw(CfsError, /auths\.reg\.example:5000\.auth: not base64 of USER:PASS/);
  });

  it('the CLI: mkcomposefs --from-oci=docker:// with --creds, and a wrong password on one line without the secret', async () => {
    const out = join(work, 'cli.cfs');
    const ok = await cfskit(['mkcomposefs', '--tls-verify=false', `--creds=alice:${SECRET}`, `--from-oci=docker://${basic.host}/os:1`, out]);
    expect(ok.stderr).to.equal('');
    expect(ok.status).to.equal(0);
    const bad = await cfskit(['mkcomposefs', '--tls-verify=false', `--creds=alice:x${SECRET}`, `--from-oci=docker://${basic.host}/os:1`, join(work, 'bad.cfs')]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.equal(`cfskit mkcomposefs: docker://${basic.host}/os:1: auth: access denied (HTTP 401): wrong credentials\n`);
    expect(existsSync(join(work, 'bad.cfs'))).to.equal(false);
  });

  function writeAuth(name: string, doc: object): string {
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(doc));
    return file;
  }
});
