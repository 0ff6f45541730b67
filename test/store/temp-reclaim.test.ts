/**
 * Temp files of killed processes (src/temp-name.ts): a real `cfskit commit` killed with -9 leaves
 * its object temp file, which fsck and prune reclaim; SIGTERM and SIGINT remove it before exit
 * (143, 130), as mkcomposefs does for the temp file beside its output; a temp file whose process
 * still runs is never taken.
 */
import { expect } from 'chai';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTempName, reclaimTemps, tempPath } from '../../src/io/temp-name.js';
import { cfskit, cfskitSpawn } from '../helpers/cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Temp files anywhere under `dir`. */
function temps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((p) => isTempName(p.split('/').pop()!));
}

describe('temp files: reclaimed after kill -9, removed on SIGTERM/SIGINT', function () {
  this.timeout(300_000);
  let dir: string;
  let tar: Buffer;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-temps-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'big'), Buffer.alloc(4 << 20, 1));
    tar = spawnSync('tar', ['-C', join(dir, 'src'), '-cf', '-', 'big'], { maxBuffer: 1 << 30 }).stdout;
    expect(tar.length).to.be.above(4 << 20);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A commit reading a tar layer from stdin that stops mid-file, once its object temp file exists. */
  async function stalledCommit(repo: string): Promise<ChildProcess> {
    expect(cfskit(['init', `--repo=${repo}`]).status).to.equal(0);
    const child = cfskitSpawn(['commit', `--repo=${repo}`, '--branch=main', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin!.on('error', () => undefined); // the child may be gone before it read everything
    child.stdin!.write(tar.subarray(0, 512 + (2 << 20)));
    for (let i = 0; i < 1200 && temps(join(repo, 'cfs')).length === 0; i++) await sleep(50);
    expect(temps(join(repo, 'cfs')), 'the commit is writing its object').to.have.length(1);
    return child;
  }
  const exitOf = (c: ChildProcess) => new Promise<{ code: number | null; signal: string | null }>((r) => c.on('exit', (code, signal) => r({ code, signal })));

  for (const [tool, args] of [['fsck', []], ['prune', []], ['prune, after a --dry-run that keeps them,', ['--dry-run']]] as const) {
    it(`kill -9 leaves the temp file; ${tool} reclaims it`, async () => {
      const repo = join(dir, `r-${tool.replace(/\W/g, '')}`);
      const child = await stalledCommit(repo);
      const done = exitOf(child);
      child.kill('SIGKILL');
      expect((await done).signal).to.equal('SIGKILL');
      const left = temps(repo);
      expect(left).to.have.length.at.least(1);
      const cmd = tool === 'fsck' ? 'fsck' : 'prune';
      if (args.length) {
        expect(cfskit([cmd, `--repo=${repo}`, ...args]).status).to.equal(0);
        expect(temps(repo), 'a dry run keeps them').to.deep.equal(left);
      }
      const r = cfskit([cmd, `--repo=${repo}`]);
      expect(r.status, r.stderr).to.equal(0);
      expect(temps(repo)).to.deep.equal([]);
      // fsck takes no lock; prune, a writer, breaks the dead commit's lock and releases its own
      if (cmd === 'prune') expect(readdirSync(repo), 'the dead writer lock was broken').to.not.include('.cfskit-lock');
    });
  }

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal}: the commit removes its temp files and lock, exit ${code}`, async () => {
      const repo = join(dir, `r-${signal}`);
      const child = await stalledCommit(repo);
      const done = exitOf(child);
      child.kill(signal);
      expect(await done).to.deep.equal({ code, signal: null });
      expect(temps(repo)).to.deep.equal([]);
      expect(existsSync(join(repo, '.cfskit-lock'))).to.equal(false);
    });
  }

  it('SIGTERM of `mkcomposefs --from-file - IMAGE` removes the temp file beside IMAGE, exit 143', async () => {
    const out = join(dir, 'mkc');
    mkdirSync(out);
    const child = cfskitSpawn(['mkcomposefs', '--from-file', '-', join(out, 'IMAGE')], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin!.on('error', () => undefined);
    child.stdin!.write('/ 4096 40755 2 0 0 0 0.0 - - -\n');
    for (let i = 0; i < 1200 && temps(out).length === 0; i++) await sleep(50);
    expect(temps(out), 'the output temp file exists while the dumpfile is read').to.have.length(1);
    const done = exitOf(child);
    child.kill('SIGTERM');
    expect(await done).to.deep.equal({ code: 143, signal: null });
    expect(readdirSync(out)).to.deep.equal([]);
  });

  it('a temp file whose process still runs is kept; one of a dead pid or another process (pid reuse) is taken', () => {
    const d = join(dir, 'unit');
    mkdirSync(d);
    const mine = tempPath(d);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const ofDead = join(d, `.cfskit-tmp.${dead}.0123456789ab.00`);
    const reused = join(d, `.cfskit-tmp.1.0123456789ab.00`); // pid 1 runs, but its tag differs
    const other = join(d, 'not-a-temp');
    for (const p of [mine, ofDead, reused, other]) writeFileSync(p, 'x');
    const r = reclaimTemps([d, join(dir, 'missing')]);
    expect(r.paths.sort()).to.deep.equal([ofDead, reused].sort());
    expect(r.bytes).to.equal(2);
    expect(readdirSync(d).sort()).to.deep.equal([mine, other].map((p) => p.slice(d.length + 1)).sort());
  });
});
