/**
 * Issue 15 items 1 and 2, issue 16, repository side, through the CLI: reachability that fails
 * closed (prune refuses, fsck reports) and images whose objects are not in the repo.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { buildImage } from '../../src/composefs/index.js';
import { digestBytes } from '../../src/fsverity/index.js';
import { objectPath } from '../../src/store/objects.js';
import { cfskit } from '../helpers/cli.js';

/** Every file under `dir` with its size: what "nothing deleted" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${e.isFile() ? statSync(p).size : 'link'}`);
    }
  };
  walk(dir);
  return out.sort();
}

const commitFile = (repo: string, c: string) => join(repo, 'objects', c.slice(0, 2), `${c.slice(2)}.commit`);

describe('trust boundaries of the repository (issue 15 items 1, 2; issue 16)', function () {
  let dir: string;
  let src: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-trust-'));
    src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'a file long enough to be stored as an object, not inline\n'.repeat(4));
    writeFileSync(join(src, 'b'), 'v1 of b, also long enough to be an object in the store\n'.repeat(4));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The script: two commits on main; returns the repo and the tip. */
  function twoCommits(name: string): { repo: string; tip: string } {
    const repo = join(dir, name);
    expect(cfskit(['init', `--repo=${repo}`]).status).to.equal(0);
    expect(cfskit(['commit', `--repo=${repo}`, '--branch=main', src]).status).to.equal(0);
    writeFileSync(join(src, 'b'), 'v2 of b, a second version that is an object in the store\n'.repeat(4));
    const r = cfskit(['commit', `--repo=${repo}`, '--branch=main', src]);
    expect(r.status).to.equal(0);
    return { repo, tip: r.stdout.trim() };
  }

  it('a truncated tip commit: prune refuses with one line, exit 1; the ref still names it; nothing deleted', function () {
    const { repo, tip } = twoCommits('truncated');
    truncateSync(commitFile(repo, tip), 0);
    const before = snapshot(repo);
    const r = cfskit(['prune', `--repo=${repo}`]);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(commitFile(repo, tip)).and.contain('refusing to prune').and.contain(`commit ${tip} of ref main`);
    expect(readFileSync(join(repo, 'refs/heads/main'), 'utf8').trim()).to.equal(tip);
    expect(snapshot(repo)).to.deep.equal(before);
    expect(cfskit(['prune', `--repo=${repo}`, '--dry-run']).status).to.equal(1);
    expect(cfskit(['fsck', `--repo=${repo}`]).status).to.equal(1);
  });

  it('real ostree prune refuses the same repo too', function () {
    needCommand(this, 'ostree');
    const { repo, tip } = twoCommits('truncated-ostree');
    truncateSync(commitFile(repo, tip), 0);
    const r = spawnSync('ostree', ['prune', `--repo=${repo}`], { encoding: 'utf8' });
    expect(r.status).to.not.equal(0);
  });

  it('a removed tip commit: fsck reports it as ostree fsck does (exit 1), prune refuses', function () {
    const { repo, tip } = twoCommits('removed');
    unlinkSync(commitFile(repo, tip));
    const r = cfskit(['fsck', `--repo=${repo}`]);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.contain(`missing commit ${tip} of ref main`).and.not.contain('no problems found');
    expect(cfskit(['prune', `--repo=${repo}`]).status).to.equal(1);
    needCommand(this, 'ostree');
    const peer = spawnSync('ostree', ['fsck', `--repo=${repo}`], { encoding: 'utf8' });
    expect(peer.status).to.not.equal(0);
  });

  it('a missing parent ends the history (ostree: a --depth pull), it is no problem', function () {
    const { repo, tip } = twoCommits('no-parent');
    const parent = cfskit(['log', `--repo=${repo}`, 'main']).stdout.match(/^commit ([0-9a-f]{64})$/gm)![1].slice(7);
    expect(parent).to.not.equal(tip);
    unlinkSync(commitFile(repo, parent));
    expect(cfskit(['prune', `--repo=${repo}`]).status).to.equal(0);
  });

  it('an image naming an absent object: commit --image refuses, --partial accepts and prune keeps working', function () {
    const repo = join(dir, 'absent');
    expect(cfskit(['init', `--repo=${repo}`]).status).to.equal(0);
    const content = Buffer.from('an object this repo never received\n');
    const hex = digestBytes(content).hex;
    const img = join(dir, 'absent.cfs');
    writeFileSync(img, buildImage(new TextEncoder().encode(`/ 0 40755 1 0 0 0 0.0 - - -\n/f ${content.length} 100644 1 0 0 0 0.0 ${objectPath(hex)} - ${hex}\n`)).image);
    const before = snapshot(repo);
    const r = cfskit(['commit', `--repo=${repo}`, '--branch=main', `--image=${img}`]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(img).and.contain(`1 backing object (${hex}) not in the repo`).and.contain('--partial');
    expect(snapshot(repo)).to.deep.equal(before);
    const ok = cfskit(['commit', `--repo=${repo}`, '--branch=main', `--image=${img}`, '--partial']);
    expect(ok.status).to.equal(0);
    expect(statSync(join(repo, 'state', `${ok.stdout.trim()}.commitpartial`)).size).to.equal(0);
    expect(cfskit(['prune', `--repo=${repo}`]).status).to.equal(0);
    expect(cfskit(['fsck', `--repo=${repo}`]).stdout).to.equal('no problems found\n');
  });

  it('fsck sums up missing objects: a count and the first five, one line per image', function () {
    const repo = join(dir, 'many');
    const many = join(dir, 'many-src');
    mkdirSync(many);
    for (let i = 0; i < 40; i++) writeFileSync(join(many, `f${i}`), `file ${i} `.repeat(20));
    expect(cfskit(['init', `--repo=${repo}`]).status).to.equal(0);
    expect(cfskit(['commit', `--repo=${repo}`, '--branch=main', many]).status).to.equal(0);
    const objects = join(repo, 'cfs/objects');
    let removed = 0;
    for (let i = 0; i < 40; i++) {
      const hex = digestBytes(Buffer.from(`file ${i} `.repeat(20))).hex;
      unlinkSync(join(objects, objectPath(hex)));
      removed++;
    }
    const r = cfskit(['fsck', `--repo=${repo}`]);
    expect(r.status).to.equal(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(new RegExp(`: ${removed} backing objects \\(([0-9a-f]{64}, ){4}[0-9a-f]{64}, …\\) missing$`));
    expect(lines[1]).to.equal('1 problem(s) found');
  });

  it('ostree fsck accepts a repo cfskit pruned', function () {
    needCommand(this, 'ostree');
    const { repo } = twoCommits('peer-clean');
    expect(cfskit(['prune', `--repo=${repo}`]).status).to.equal(0);
    runPeer('ostree', ['fsck', `--repo=${repo}`]);
  });
});
