import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

describe('--json of log, show, refs and info', () => {
  let dir: string;
  let repo: string;
  const commits: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-cli-json-'));
    repo = join(dir, 'repo');
    const src = join(dir, 'src');
    mkdirSync(join(src, 'usr'), { recursive: true });
    writeFileSync(join(src, 'usr', 'big'), 'x'.repeat(10_000)); // stored as an object
    expect((await runCli(['init', `--repo=${repo}`])).status).to.equal(0);
    for (const n of [1, 2]) {
      const r = await runCli(['commit', `--repo=${repo}`, '-b', 'os/x', `--subject=v${n}`, `--version=${n}`, '--timestamp=1700000000', src]);
      expect(r.status, r.stderr).to.equal(0);
      commits.push(r.stdout.trim());
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('log --json: the commits, newest first, with their metadata in GVariant text', async () => {
    const r = await runCli(['log', `--repo=${repo}`, '--json', 'os/x']);
    expect(r.status, r.stderr).to.equal(0);
    const log = JSON.parse(r.stdout);
    expect(log.map((c: { checksum: string }) => c.checksum)).to.deep.equal([commits[1], commits[0]]);
    expect(log[0]).to.include({ parent: commits[0], subject: 'v2', body: '', timestamp: 1700000000 });
    expect(log[1].parent).to.equal(null);
    expect(log[0].metadata.version).to.equal("'2'");
    expect(log[0].metadata['cfskit.image']).to.match(/^'[0-9a-f]{64}'$/);
  });

  it('show --json: one commit, as log --json shows it; with --print-metadata-key a JSON string', async () => {
    const r = await runCli(['show', `--repo=${repo}`, '--json', 'os/x']);
    const log = JSON.parse((await runCli(['log', `--repo=${repo}`, '--json', 'os/x'])).stdout);
    expect(JSON.parse(r.stdout)).to.deep.equal(log[0]);
    const key = await runCli(['show', `--repo=${repo}`, '--json', '--print-metadata-key=version', 'os/x']);
    expect(key.stdout).to.equal('"\'2\'"\n');
  });

  it('refs --json: ref name to checksum', async () => {
    const r = await runCli(['refs', `--repo=${repo}`, '--json']);
    expect(JSON.parse(r.stdout)).to.deep.equal({ 'os/x': commits[1] });
  });

  it('info --json objects and measure-file; refused for ls and dump', async () => {
    const show = JSON.parse((await runCli(['show', `--repo=${repo}`, '--json', 'os/x'])).stdout);
    const image = join(repo, 'cfs', 'images', show.metadata['cfskit.image'].slice(1, -1));
    const text = await runCli(['info', 'objects', image]);
    const json = await runCli(['info', '--json', 'objects', image]);
    expect(JSON.parse(json.stdout)).to.deep.equal(text.stdout.trimEnd().split('\n'));
    const measured = await runCli(['info', '--json', 'measure-file', join(dir, 'src', 'usr', 'big')]);
    expect(Object.values(JSON.parse(measured.stdout))).to.deep.equal([(await runCli(['info', 'measure-file', join(dir, 'src', 'usr', 'big')])).stdout.trim()]);
    const ls = await runCli(['info', '--json', 'ls', image]);
    expect(ls.status).to.equal(1);
    expect(ls.stderr).to.equal('cfskit info: --json applies to objects, missing-objects and measure-file, not ls\n');
  });
});
