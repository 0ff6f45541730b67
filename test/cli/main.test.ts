import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8' });

describe('cfskit CLI dispatcher (compiled dist/)', () => {
  it('prints usage with --help and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^Usage: cfskit COMMAND/);
  });
  it('rejects an unknown command with exit 1 and names it', () => {
    const r = cli(['no-such-command']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain("unknown command 'no-such-command'");
  });
});
