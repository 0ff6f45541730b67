import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { cfskit } from '../helpers/cli.js';

describe('npm run demo (compiled dist/)', function () {
  it('commits, deploys, merges /etc and verifies; real ostree reads the sysroot it leaves', function () {
    needCommand(this, 'ostree');
    const dir = mkdtempSync(join(tmpdir(), 'cfskit-demo-test-'));
    try {
      const r = cfskit(['demo', `--keep=${dir}`], { runner: 'dist' });
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      expect(r.stdout).to.contain('Copying /etc changes: 1 modified, 0 removed, 0 added');
      expect(r.stdout).to.contain('2 boot entries verified');
      // The local change wins over both defaults; version 2's new defaults arrive.
      expect(r.stdout).to.contain('$ cat etc/demo.d/settings.conf\ncolor=green\n');
      expect(r.stdout).to.contain('$ cat etc/motd\nWelcome to the cfskit demo OS, version 2.\n');
      const status = runPeer('ostree', ['admin', 'status', `--sysroot=${join(dir, 'sysroot')}`]);
      expect(status.status, status.stderr).to.equal(0);
      expect(status.stdout).to.match(/demo [0-9a-f]{64}\.0\n\s+Version: 2\n[\s\S]*demo [0-9a-f]{64}\.0\n\s+Version: 1\n/);
      const head = readFileSync(join(dir, 'sysroot', 'ostree', 'repo', 'refs', 'heads', 'demo', 'stable'), 'utf8').trim();
      expect(runPeer('ostree', ['log', `--repo=${join(dir, 'sysroot', 'ostree', 'repo')}`, 'demo/stable']).stdout).to.contain(`commit ${head}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
