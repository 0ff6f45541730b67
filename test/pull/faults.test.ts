/**
 * Network faults and crashes: every fault of the proxy (dropped connection mid-body, 500,
 * truncated body, a stall past the timeout) is retried and the pull completes; faults beyond
 * the retries fail the pull with one line and no ref, and the re-run fetches only what is
 * missing; keep-alive with at least 8 requests in flight; `kill -9` of the pull at random points (30 times): the re-run completes and the repo
 * verifies every time.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../../src/io/temp-name.js';
import { needCommand } from '../helpers/peers.js';
import { fsckRepo } from '../../src/cfs/fsck.js';
import { readRef } from '../../src/ostree/refs.js';
import { initRepo } from '../../src/ostree/repo.js';
import { addRemote } from '../../src/remote/config.js';
import { FaultProxy, type Fault } from './fault-proxy.js';
import { Nginx, NGINX } from './nginx.js';
import { cli, cliAsync, osVersion, publish } from './fixture.js';
import { cfskitSpawn } from '../helpers/cli.js';

const KILLS = Number(process.env.CFSKIT_PULL_KILLS ?? 30);

describe('cfskit pull under network faults and kill -9', function () {
  this.timeout(600_000);
  let dir: string;
  let nginx: Nginx;
  let proxy: FaultProxy;
  let head: string;
  let n = 0;
  const freshRepo = () => {
    const path = join(dir, `client-${n++}`);
    const repo = initRepo(path, 'bare-user-only');
    addRemote(repo, 'origin', proxy.url, [['branches', 'os/main;'], ['gpg-verify', 'false']]);
    return path;
  };
  const pull = async (repo: string, ...flags: string[]) => {
    const r = await cliAsync('pull', `--repo=${repo}`, '--timeout=1', ...flags, 'origin');
    return { ...r, ok: () => expect(r.status, r.stderr).to.equal(0) };
  };
  const verified = async (repo: string) => {
    const r = initRepo(repo, 'bare-user-only');
    expect(await fsckRepo(r)).to.deep.equal([]);
    expect(readRef(r, 'origin:os/main')).to.equal(head);
    expect(temps(repo)).to.deep.equal([]);
  };

  before(async function () {
    needCommand(this, NGINX);
    dir = mkdtempSync(join(tmpdir(), 'cfskit-faults-'));
    const server = join(dir, 'server');
    cli('init', `--repo=${server}`, '--mode=archive').ok();
    head = publish(server, dir, '1.0', osVersion('1.0', 150));
    nginx = new Nginx(server, join(dir, 'nginx'));
    await nginx.start();
    proxy = new FaultProxy(nginx.port);
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    proxy.plan = () => 'pass';
    proxy.delayMs = 0;
  });

  for (const fault of ['drop', 'error500', 'truncate', 'stall'] as Fault[]) {
    it(`retries ${fault} (on objects, the image, the commit and the ref) and completes`, async () => {
      const repo = freshRepo();
      let i = 0;
      // every path kind fails once, then every 7th object request, 12 faults in all
      const firsts = new Set<string>();
      let left = 12;
      proxy.plan = (path) => {
        const kind = path.replace(/[0-9a-f]{62}.*$/, '');
        if (left > 0 && (!firsts.has(kind) || i++ % 7 === 0)) {
          firsts.add(kind);
          left--;
          return fault;
        }
        return 'pass';
      };
      const before = proxy.faults[fault];
      const r = await pull(repo, '--network-retries=3');
      expect(r.status, r.stderr).to.equal(0);
      expect(proxy.faults[fault] - before).to.equal(12);
      await verified(repo);
    });
  }

  it('faults beyond the retries fail with one line and no ref; the re-run fetches only what is missing', async () => {
    const repo = freshRepo();
    let objects = 0;
    proxy.plan = (path) => (path.startsWith('/cfs/objects/') && ++objects > 40 ? 'error500' : 'pass');
    const r = await pull(repo, '--network-retries=1');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^cfskit pull: http:\/\/127\.0\.0\.1:\d+\/cfs\/objects\/[0-9a-f]{2}\/[0-9a-f]{62}: HTTP 500 \(gave up after 2 attempts\)\n$/);
    expect(readRef(initRepo(repo, 'bare-user-only'), 'origin:os/main')).to.equal(undefined);
    expect(await fsckRepo(initRepo(repo, 'bare-user-only'))).to.deep.equal([]);
    const stored = countObjects(repo);
    expect(stored).to.be.greaterThan(0);
    const paths: string[] = [];
    proxy.plan = (path) => {
      paths.push(path);
      return 'pass';
    };
    (await pull(repo)).ok();
    const refetched = paths.filter((p) => p.startsWith('/cfs/objects/')).length;
    expect(refetched + stored).to.equal(countObjects(repo) + 0);
    await verified(repo);
  });

  it(`kill -9 at ${KILLS} random points: each re-run completes and the repo verifies`, async () => {
    proxy.delayMs = 20;
    const t0 = Date.now();
    const [connections, requests] = [proxy.connections, proxy.faults.pass];
    proxy.maxInFlight = 0;
    (await pull(freshRepo())).ok();
    const full = Date.now() - t0;
    // keep-alive with at least 8 requests in flight: ~155 requests over at most 16 connections
    expect(proxy.maxInFlight).to.be.at.least(8);
    expect(proxy.faults.pass - requests).to.be.greaterThan(150);
    expect(proxy.connections - connections).to.be.at.most(16);
    let interrupted = 0;
    for (let k = 0; k < KILLS; k++) {
      const repo = freshRepo();
      const child = cfskitSpawn(['pull', `--repo=${repo}`, 'origin'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const at = Math.floor(Math.random() * full * 0.95);
      const timer = setTimeout(() => child.kill('SIGKILL'), at);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) interrupted++;
      (await pull(repo)).ok();
      await verified(repo);
      rmSync(repo, { recursive: true, force: true });
    }
    console.log(`      (${interrupted} of ${KILLS} pulls killed before they finished)`);
    expect(interrupted).to.be.greaterThan(KILLS / 3);
  });
});

function temps(repo: string): string[] {
  const objects = join(repo, 'cfs/objects');
  const out: string[] = [];
  for (const d of readdirSafe(objects)) {
    if (d.startsWith(TEMP_PREFIX)) out.push(d);
    for (const x of readdirSafe(join(objects, d))) if (x.startsWith(TEMP_PREFIX)) out.push(`${d}/${x}`);
  }
  return out;
}

function countObjects(repo: string): number {
  const objects = join(repo, 'cfs/objects');
  let count = 0;
  for (const d of readdirSafe(objects)) if (/^[0-9a-f]{2}$/.test(d)) count += readdirSafe(join(objects, d)).filter((x) => /^[0-9a-f]{62}$/.test(x)).length;
  return count;
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
