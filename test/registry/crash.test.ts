/**
 * `kill -9` of `cfskit commit docker://…` at 20 seeded random points of a pull over a slow link:
 * after each kill the cache holds only verified blobs and the branch is unchanged; the re-run
 * completes with the image of an uninterrupted pull.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommit } from '../../src/ostree/commit.js';
import type { Commit } from '../../src/ostree/formats.js';
import { readRef } from '../../src/ostree/refs.js';
import { initRepo, openRepo } from '../../src/ostree/repo.js';
import { osFiles } from '../sysroot/deploy/fixture.js';
import { needCommand } from '../helpers/peers.js';
import { type Proxy, type Registry, cfskit, layoutOf, skopeoPush, startProxy, startRegistry, tarOfFiles } from './harness.js';
import { cfskitSpawn } from '../helpers/cli.js';

const KILLS = 20;
const SEED = Number(process.env.CFSKIT_CRASH_SEED ?? 20261203);

/** mulberry32: a small seeded PRNG for the kill points. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the CLI and kills it with SIGKILL after `ms` (if still running); resolves with how it ended. */
function runAndKill(args: string[], ms: number): Promise<{ killed: boolean; status: number | null }> {
  return new Promise((resolve) => {
    const child = cfskitSpawn(args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', status });
    });
  });
}

const imageOf = (c: Commit): unknown => c.metadata.find(([k]) => k === 'cfskit.image')?.[1].value;

/** Every blob in the cache hashes to its name. */
function cacheIsVerified(repo: string): number {
  const dir = join(repo, 'cfs', 'oci', 'blobs', 'sha256');
  if (!existsSync(dir)) return 0;
  const names = readdirSync(dir);
  for (const hex of names) expect(createHash('sha256').update(readFileSync(join(dir, hex))).digest('hex')).to.equal(hex);
  return names.length;
}

describe('registry: kill -9 during a pull', function () {
  // CLI children and real servers on a shared 2-core machine
  this.timeout(900_000);
  let work: string;
  let registry: Registry;
  let proxy: Proxy;

  before(async function () {
    needCommand(this, 'docker-registry');
    needCommand(this, 'skopeo');
    work = mkdtempSync(join(tmpdir(), 'cfskit-regcrash-'));
    registry = await startRegistry(join(work, 'registry'));
    const layers = [tarOfFiles(work, 'base', osFiles('1'))];
    for (let i = 0; i < 4; i++) layers.push(tarOfFiles(work, `data${i}`, { [`usr/share/data${i}`]: randomBytes(1_500_000).toString('latin1') }));
    skopeoPush(layoutOf(join(work, 'layout'), layers, 'gzip'), `docker://${registry.host}/os:1`);
    proxy = await startProxy(registry.port, { slow: 15 });
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`the re-run completes after ${KILLS} kills at random points (seed ${SEED})`, async function () {
    const args = (repo: string) => ['commit', `--repo=${repo}`, '--branch=os', '--tls-verify=false', `docker://${proxy.host}/os:1`];
    // an uninterrupted pull: its duration bounds the kill points, its image is the reference
    const clean = join(work, 'clean');
    initRepo(clean);
    const started = Date.now();
    const first = await cfskit(args(clean));
    expect(first.stderr).to.equal('');
    const duration = Date.now() - started;
    const want = readCommit(openRepo(clean), 'os');

    const repoDir = join(work, 'repo');
    let repo = initRepo(repoDir);
    const rnd = prng(SEED);
    let kills = 0;
    for (let attempt = 0; kills < KILLS && attempt < 3 * KILLS; attempt++) {
      const r = await runAndKill(args(repoDir), Math.floor(rnd() * duration));
      cacheIsVerified(repoDir);
      const ref = readRef(repo, 'os');
      if (r.killed) kills++;
      else expect([r.status, ref]).to.deep.equal([0, readRef(repo, 'os') ?? 'missing']);
      if (ref !== undefined) {
        // the commit went through before the kill point: whole, then start over from an empty repo
        expect(imageOf(readCommit(repo, ref).commit)).to.equal(imageOf(want.commit));
        rmSync(repoDir, { recursive: true, force: true });
        repo = initRepo(repoDir);
      }
    }
    expect(kills).to.equal(KILLS);
    const last = await cfskit(args(repoDir));
    expect(last.stderr).to.equal('');
    expect(last.status).to.equal(0);
    expect(cacheIsVerified(repoDir)).to.equal(7); // manifest, config, five layers
    expect(imageOf(readCommit(repo, 'os').commit)).to.equal(imageOf(want.commit));
  });
});
